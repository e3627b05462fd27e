import { createHmac, randomInt } from 'node:crypto';
import type { User } from '../../directory/types.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Metrics } from '../../ops/metrics.ts';
import type { SmsGateway } from '../../notifications/sms_gateway.ts';
import { AMR } from '../../provider/acr.ts';
import type { EnrollOutcome, FactorContext, MfaFactor, VerifyOutcome } from '../factor.ts';
import type { PhoneKey } from '../phone_key.ts';
import type { SmsSendLimits } from '../sms_send_limits.ts';
import type { MfaFactorStore, SmsCodeStore } from '../store.ts';

/** What a code is for. A code sent for one purpose and interaction is useless for any other. */
export type SmsPurpose = 'login' | 'enroll';

export const SMS_CODE_TTL_SECONDS = 10 * 60;
const MAX_CHECKS = 5;
const CODE = /^\d{6}$/;

export type SendResult = { sent: true } | { sent: false; reason: 'cooldown' | 'limit' | 'gateway' | 'no_phone'; retryAfterSeconds?: number };

export interface SmsFactorDeps {
  store: MfaFactorStore;
  codes: SmsCodeStore;
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
export class SmsFactor implements MfaFactor {
  readonly id = 'sms' as const;
  readonly amr = [AMR.sms] as const;
  readonly #deps: SmsFactorDeps;

  constructor(deps: SmsFactorDeps) {
    this.#deps = deps;
  }

  async isEnrolled(userId: string): Promise<boolean> {
    return (await this.#deps.store.getPhone(userId)) !== undefined;
  }

  async remove(userId: string): Promise<void> {
    await this.#deps.store.removePhone(userId);
  }

  /** Sends a sign-in code to the user's enrolled number. */
  async sendLoginCode(user: User, context: FactorContext, ip: string): Promise<SendResult> {
    const phone = await this.#deps.store.getPhone(user.id);
    if (!phone) return { sent: false, reason: 'no_phone' };
    return this.#send({ userId: user.id, purpose: 'login', binding: context.interactionId, to: phone.e164, country: phone.country, ip });
  }

  async verify(userId: string, input: string, context: FactorContext): Promise<VerifyOutcome> {
    const phone = await this.#deps.store.getPhone(userId);
    if (!phone) return { ok: false, reason: 'invalid' };
    return this.#check({ userId, purpose: 'login', binding: context.interactionId, country: phone.country }, input);
  }

  /** Sends an enrollment code to a number the rules allowed (checked by the caller). */
  sendEnrollmentCode(user: User, phone: { e164: string; country: string }, context: FactorContext, ip: string): Promise<SendResult> {
    return this.#send({ userId: user.id, purpose: 'enroll', binding: this.#enrollmentBinding(context, phone), to: phone.e164, country: phone.country, ip });
  }

  /**
   * Commits the number once the code sent to it comes back, and only if the account's factors are
   * still at `factorVersion` (the state the caller decided on).
   */
  async confirmEnrollment(user: User, phone: { e164: string; country: string }, context: FactorContext, input: string, factorVersion: number): Promise<EnrollOutcome> {
    const outcome = await this.#check({ userId: user.id, purpose: 'enroll', binding: this.#enrollmentBinding(context, phone), country: phone.country }, input);
    if (!outcome.ok) return outcome;
    const record = { e164: phone.e164, country: phone.country, createdAt: this.#deps.clock() };
    return (await this.#deps.store.enrollIfUnchanged(user.id, { kind: 'phone', record }, factorVersion)) ? { ok: true } : { ok: false, reason: 'stale' };
  }

  async #send(req: { userId: string; purpose: SmsPurpose; binding: string; to: string; country: string; ip: string }): Promise<SendResult> {
    const { limits, codes, gateway, metrics, clock } = this.#deps;
    const verdict = await limits.take({ userId: req.userId, numberKey: this.#deps.phoneKey(req.to), country: req.country, ip: req.ip });
    if (!verdict.allowed) {
      metrics.smsRefused.inc({ reason: verdict.reason });
      return { sent: false, reason: verdict.reason, retryAfterSeconds: verdict.retryAfterSeconds };
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await codes.put(this.#key(req), this.#hash(req, code), clock() + SMS_CODE_TTL_SECONDS * 1000, SMS_CODE_TTL_SECONDS);
    try {
      await gateway.send(req.to, smsText(code, this.#deps.issuerHost));
    } catch {
      return { sent: false, reason: 'gateway' };
    }
    metrics.smsSent.inc({ purpose: req.purpose, country: req.country });
    return { sent: true };
  }

  async #check(req: { userId: string; purpose: SmsPurpose; binding: string; country: string }, input: string): Promise<VerifyOutcome> {
    const code = input.replace(/\s/g, '');
    if (!CODE.test(code)) return { ok: false, reason: 'malformed' };
    const result = await this.#deps.codes.check(this.#key(req), this.#hash(req, code), this.#deps.clock(), MAX_CHECKS);
    if (result !== 'ok') return { ok: false, reason: 'invalid' };
    this.#deps.metrics.smsVerified.inc({ purpose: req.purpose, country: req.country });
    return { ok: true };
  }

  /** An enrollment code is bound to the number it went to; the binding is part of a key name, so the number is hashed. */
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

/** Only the code, its lifetime and the origin-bound line (WebOTP / iOS autofill), nothing else. */
export function smsText(code: string, issuerHost: string): string {
  return `Your sign-in code is ${code}. It expires in 10 minutes.\n\n@${issuerHost} #${code}`;
}
