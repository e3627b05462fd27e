import { createHmac, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { User } from '../../../directory/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import type { Metrics } from '../../../lib/metrics.ts';
import type { SmsGateway } from './gateway.ts';
import { AMR } from '../../assurance.ts';
import type { ChallengeOutcome, EnrollOutcome, Enrollment, FactorContext, MfaMethod, StartOutcome, VerifyOutcome } from '../../factor.ts';
import type { PhoneKey } from './phone_key.ts';
import type { AllowedMethods } from '../../policy.ts';
import type { ChallengeScreenRequest, ScreenResult } from '../../screens.ts';
import type { SecurityEvents } from '../../../audit/security_events.ts';
import { checkSmsNumber, maskPhone, SMS_REFUSAL_MESSAGES, USE_THE_APP } from './rules.ts';
import type { SmsSendLimits } from './send_limits.ts';
import type { FactorState, FlowStore, MfaFactorStore, SmsCodeStore } from '../../store.ts';
import { beginSmsChallenge, SMS_EMAILS, SMS_TEXTS, smsScreens, smsSendPage } from './screens.ts';

/** What a code is for. A code sent for one purpose and interaction is useless for any other. */
export type SmsPurpose = 'login' | 'enroll' | 'phone_change';

export const SMS_CODE_TTL_SECONDS = 10 * 60;
const MAX_CHECKS = 5;
const CODE = /^\d{6}$/;

const PENDING_TTL_SECONDS = 15 * 60;
const VIEWS_DIR = join(import.meta.dirname, 'views');
const PhoneForm = z.object({ country: z.string().max(2), phone: z.string().min(1).max(32) });
const PendingNumber = z.object({ e164: z.string(), country: z.string() });

/** The number an enrollment code went to, until the code comes back. */
export type PendingNumber = z.infer<typeof PendingNumber>;

export interface SmsFactorDeps {
  store: MfaFactorStore;
  flow: FlowStore;
  codes: SmsCodeStore;
  events: SecurityEvents;
  /** Countries whose numbers may receive codes (`SMS_COUNTRIES`). */
  countries: readonly string[];
  gateway: SmsGateway;
  limits: SmsSendLimits;
  metrics: Metrics;
  clock: Clock;
  /** Host of the issuer, for the origin-bound line that lets phones autofill the code. */
  issuerHost: string;
  /** Secret for hashing codes at rest, so a stolen hash cannot be brute-forced offline without it. */
  pepper: Buffer;
  /** Names a number in storage keys without the number in clear. */
  phoneKey: PhoneKey;
}

/**
 * Text-message codes (a restricted authenticator, NIST 800-63B): 6 digits from the CSPRNG, valid
 * 10 minutes, at most 5 checks, single use, stored as a keyed hash, bound to purpose, interaction
 * and (for enrollment) the number. Sending a new code voids the previous one.
 */
export class SmsFactor implements MfaMethod<'sms', PendingNumber> {
  readonly id = 'sms' as const;
  readonly label = 'SMS Verification';
  readonly amr = [AMR.sms] as const;
  readonly texts = SMS_TEXTS;
  readonly emails = SMS_EMAILS;
  readonly screens = smsScreens(this);
  readonly entry = { enroll: 'mfa/sms', challenge: 'mfa/sms/code' };
  readonly viewsDir = VIEWS_DIR;
  readonly #deps: SmsFactorDeps;

  constructor(deps: SmsFactorDeps) {
    this.#deps = deps;
  }

  get countries(): readonly string[] {
    return this.#deps.countries;
  }

  isEnrolled(state: FactorState): boolean {
    return state.phone !== undefined;
  }

  enrollmentRefusal(allowed: AllowedMethods): string | undefined {
    return allowed.sms.allowed ? undefined : SMS_REFUSAL_MESSAGES[allowed.sms.reason];
  }

  hint(state: FactorState): string | undefined {
    return state.phone ? maskPhone(state.phone.e164) : undefined;
  }

  landing(request: ChallengeScreenRequest): Promise<ScreenResult> {
    return Promise.resolve(smsSendPage(request.hint ?? ''));
  }

  begin(request: ChallengeScreenRequest): Promise<ScreenResult> {
    return beginSmsChallenge(this, request);
  }

  async remove(userId: string): Promise<void> {
    await this.#deps.store.removePhone(userId);
  }

  /** Sends a sign-in code to the user's enrolled number. */
  async challenge(user: User, context: FactorContext): Promise<ChallengeOutcome> {
    const phone = await this.#deps.store.getPhone(user.id);
    if (!phone) return { ok: false, reason: 'gateway' };
    return this.#send(user, context, { purpose: 'login', binding: context.interactionId, to: phone.e164, country: phone.country });
  }

  async verify(userId: string, input: string, context: FactorContext): Promise<VerifyOutcome> {
    const phone = await this.#deps.store.getPhone(userId);
    if (!phone) return { ok: false, reason: 'invalid' };
    return this.#check({ userId, purpose: 'login', binding: context.interactionId, country: phone.country }, input);
  }

  /**
   * Password & Security, before the number is replaced: a code to the current number, which the
   * user must enter to show they still hold that phone. Bound to the flow (`interactionId`) and to
   * the number it went to, so it is void if the number changes meanwhile; the send limits apply.
   */
  async sendPhoneChangeCode(user: User, context: FactorContext): Promise<ChallengeOutcome> {
    const phone = await this.#deps.store.getPhone(user.id);
    if (!phone) return { ok: false, reason: 'gateway' };
    return this.#send(user, context, { purpose: 'phone_change', binding: this.#enrollmentBinding(context, phone), to: phone.e164, country: phone.country });
  }

  /** The code `sendPhoneChangeCode` sent, checked once (single use, 5 checks, 10 minutes). */
  async verifyPhoneChangeCode(userId: string, input: string, context: FactorContext): Promise<VerifyOutcome> {
    const phone = await this.#deps.store.getPhone(userId);
    if (!phone) return { ok: false, reason: 'invalid' };
    return this.#check({ userId, purpose: 'phone_change', binding: this.#enrollmentBinding(context, phone), country: phone.country }, input);
  }

  /**
   * "Send Text Message" at setup: the number must pass the rules (valid, mobile, an allowed country,
   * the Procore Pay rules), then the send limits. The number is kept for this enrollment until its
   * code comes back.
   */
  async startEnrollment(enrollment: Enrollment, form: unknown): Promise<StartOutcome<PendingNumber>> {
    const parsed = PhoneForm.safeParse(form);
    const verdict = parsed.success ? checkSmsNumber({ number: parsed.data.phone, country: parsed.data.country }, enrollment.allowed.sms, this.#deps.countries) : { allowed: false as const, reason: 'invalid' as const };
    if (!verdict.allowed) return { ok: false, refusal: `${SMS_REFUSAL_MESSAGES[verdict.reason]} ${USE_THE_APP}` };
    const phone = { e164: verdict.e164, country: verdict.country };
    const sent = await this.#sendEnrollmentCode(enrollment, phone);
    if (!sent.ok) return sent;
    await this.#deps.flow.set(pendingKey(enrollment), phone, PENDING_TTL_SECONDS);
    return { ok: true, setup: phone };
  }

  /** The number this enrollment sent a code to, if any. */
  async pendingNumber(enrollment: Enrollment): Promise<PendingNumber | undefined> {
    const parsed = PendingNumber.safeParse(await this.#deps.flow.get(pendingKey(enrollment)));
    return parsed.success ? parsed.data : undefined;
  }

  /** "Resend New Code" at setup: a new code to the pending number, voiding the previous one. */
  async resendEnrollmentCode(enrollment: Enrollment, phone: PendingNumber): Promise<ChallengeOutcome> {
    return this.#sendEnrollmentCode(enrollment, phone);
  }

  /**
   * Commits the pending number once the code sent to it comes back, and only if the account's
   * factors are still at `factorVersion` (the state the enrollment was decided on).
   */
  async confirmEnrollment(enrollment: Enrollment, input: string): Promise<EnrollOutcome> {
    const { user, context, factorVersion } = enrollment;
    const phone = await this.pendingNumber(enrollment);
    if (!phone) return { ok: false, reason: 'invalid' };
    const outcome = await this.#check({ userId: user.id, purpose: 'enroll', binding: this.#enrollmentBinding(context, phone), country: phone.country }, input);
    if (!outcome.ok) return outcome;
    const record = { e164: phone.e164, country: phone.country, createdAt: this.#deps.clock() };
    if (!(await this.#deps.store.enrollIfUnchanged(user.id, { kind: 'phone', record }, factorVersion))) return { ok: false, reason: 'stale' };
    await this.#deps.flow.delete(pendingKey(enrollment));
    return { ok: true };
  }

  #sendEnrollmentCode(enrollment: Enrollment, phone: PendingNumber): Promise<ChallengeOutcome> {
    const { user, context } = enrollment;
    return this.#send(user, context, { purpose: 'enroll', binding: this.#enrollmentBinding(context, phone), to: phone.e164, country: phone.country });
  }

  async #send(user: User, context: FactorContext, req: { purpose: SmsPurpose; binding: string; to: string; country: string }): Promise<ChallengeOutcome> {
    const { limits, codes, gateway, metrics, clock, events } = this.#deps;
    const subject = { userId: user.id, numberKey: this.#deps.phoneKey(req.to), country: req.country, ip: context.ip };
    const verdict = await limits.take(subject);
    if (!verdict.allowed) {
      metrics.smsRefused.inc({ reason: verdict.reason });
      // A refusal is a security signal (someone may be pumping texts): audited, with the reason only.
      await events.record('mfa.sms_refused', user, context, { reason: verdict.reason });
      return { ok: false, reason: verdict.reason, retryAfterSeconds: verdict.retryAfterSeconds };
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const key = this.#key({ userId: user.id, ...req });
    await codes.put(key, this.#hash(req, code), clock() + SMS_CODE_TTL_SECONDS * 1000, SMS_CODE_TTL_SECONDS);
    try {
      await gateway.send(req.to, smsText(code, this.#deps.issuerHost));
    } catch {
      // The text did not go out (or we cannot tell): the person may ask again at once; the caps still count this one.
      await limits.notSent(subject);
      return { ok: false, reason: 'gateway' };
    }
    metrics.smsSent.inc({ purpose: req.purpose, country: req.country });
    return { ok: true };
  }

  async #check(req: { userId: string; purpose: SmsPurpose; binding: string; country: string }, input: string): Promise<VerifyOutcome> {
    const code = input.replace(/\s/g, '');
    if (!CODE.test(code)) return { ok: false, reason: 'malformed' };
    const result = await this.#deps.codes.check(this.#key(req), this.#hash(req, code), this.#deps.clock(), MAX_CHECKS);
    if (result !== 'ok') return { ok: false, reason: 'invalid' };
    this.#deps.metrics.smsVerified.inc({ purpose: req.purpose, country: req.country });
    return { ok: true };
  }

  /** An enrollment (or phone change) code is bound to the number it went to; the binding is part of a key name, so the number is hashed. */
  #enrollmentBinding(context: FactorContext, phone: { e164: string }): string {
    return `${context.interactionId}:${this.#deps.phoneKey(phone.e164)}`;
  }

  #key(req: { userId: string; purpose: SmsPurpose; binding: string }): string {
    return `{u:${req.userId}}:${req.purpose}:${req.binding}`;
  }

  #hash(req: { purpose: SmsPurpose; binding: string }, code: string): string {
    return createHmac('sha256', this.#deps.pepper).update(`${req.purpose}|${req.binding}|${code}`).digest('hex');
  }
}

function pendingKey(enrollment: Enrollment): string {
  return `sms-enroll:${enrollment.context.interactionId}:${enrollment.user.id}`;
}

/** A number that a Procore Pay role, or `SMS_COUNTRIES`, no longer allows is neither offered nor accepted. */
export function smsUsable(state: Pick<FactorState, 'phone'>, allowed: AllowedMethods, countries: readonly string[]): boolean {
  return state.phone !== undefined && checkSmsNumber({ number: state.phone.e164 }, allowed.sms, countries).allowed;
}

/** Only the code, its lifetime and the origin-bound line (WebOTP / iOS autofill), nothing else. */
export function smsText(code: string, issuerHost: string): string {
  return `Your sign-in code is ${code}. It expires in 10 minutes.\n\n@${issuerHost} #${code}`;
}
