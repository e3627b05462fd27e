import { join } from 'node:path';
import { generateSecret, verify } from 'otplib';
import QRCode from 'qrcode';
import type { User } from '../../../directory/types.ts';
import type { Clock } from '../../../lib/clock.ts';
import type { SecretBox } from '../../../lib/secret_box.ts';
import { AMR } from '../../assurance.ts';
import type { ChallengeOutcome, EnrollOutcome, Enrollment, MfaMethod, StartOutcome, VerifyOutcome } from '../../factor.ts';
import type { FactorState, FlowStore, MfaFactorStore } from '../../store.ts';
import { redirect, type ChallengeScreenRequest, type ScreenResult } from '../../screens.ts';
import { TOTP_EMAILS, TOTP_TEXTS, totpCodePage, totpScreens } from './screens.ts';
import { groupSetupKey, totpUri } from './uri.ts';

/**
 * Authenticator apps (RFC 6238): SHA1, 6 digits, 30 s, because apps ignore anything else. A code is
 * accepted in the current step or one step either side (clock drift), and only once: the step of
 * every accepted code is stored, and `afterTimeStep` refuses that step and every earlier one.
 */
export const TOTP_WINDOW_SECONDS = 30;
const SECRET_BYTES = 20; // 160 bits
const CODE = /^\d{6}$/;
const PENDING_TTL_SECONDS = 15 * 60;
const VIEWS_DIR = join(import.meta.dirname, 'views');

export interface TotpSetup {
  /** Base32 key, shown grouped under "Trouble Scanning?" and in the otpauth URI. */
  setupKey: string;
  groupedKey: string;
  uri: string;
  qrPngDataUrl: string;
}

export interface TotpDeps {
  store: MfaFactorStore;
  flow: FlowStore;
  box: SecretBox;
  /** The name authenticator apps show next to the account. */
  issuer: string;
  clock: Clock;
}

export class TotpFactor implements MfaMethod<'totp', TotpSetup> {
  readonly id = 'totp' as const;
  readonly label = 'Authenticator App';
  readonly amr = [AMR.otp] as const;
  readonly texts = TOTP_TEXTS;
  readonly emails = TOTP_EMAILS;
  readonly screens = totpScreens(this);
  readonly entry = { enroll: 'mfa/totp', challenge: 'mfa/verify' };
  readonly viewsDir = VIEWS_DIR;
  readonly #deps: TotpDeps;

  constructor(deps: TotpDeps) {
    this.#deps = deps;
  }

  isEnrolled(state: FactorState): boolean {
    return state.totp;
  }

  enrollmentRefusal(): string | undefined {
    return undefined;
  }

  hint(): string | undefined {
    return undefined;
  }

  /** Nothing to send: the app shows the code. */
  challenge(): Promise<ChallengeOutcome> {
    return Promise.resolve({ ok: true });
  }

  landing(request: ChallengeScreenRequest): Promise<ScreenResult> {
    return Promise.resolve(totpCodePage(request.user));
  }

  begin(): Promise<ScreenResult> {
    return Promise.resolve(redirect(this.entry.challenge));
  }

  async verify(userId: string, input: string): Promise<VerifyOutcome> {
    const { store, box } = this.#deps;
    const record = await store.getTotp(userId);
    if (!record) return { ok: false, reason: 'invalid' };
    const step = await this.#matchingStep(box.open(record.sealedSecret, userId), input);
    if (step === 'malformed' || step === undefined) return { ok: false, reason: step ?? 'invalid' };
    // The atomic claim is the real replay guard: two parallel requests with one code, one wins.
    return (await store.claimTotpStep(userId, step)) ? { ok: true } : { ok: false, reason: 'invalid' };
  }

  async remove(userId: string): Promise<void> {
    await this.#deps.store.removeTotp(userId);
  }

  /** A new secret for this enrollment, kept sealed until a code confirms it (re-shown on refresh). */
  async startEnrollment(enrollment: Enrollment): Promise<StartOutcome<TotpSetup>> {
    return { ok: true, setup: await this.setupFor(enrollment.user, enrollment.context.interactionId) };
  }

  async setupFor(user: User, enrollmentId: string): Promise<TotpSetup> {
    const { flow, box, issuer } = this.#deps;
    const key = pendingKey(enrollmentId, user.id);
    const pending = await flow.get(key);
    let secret = typeof pending?.['sealed'] === 'string' ? box.open(pending['sealed'], user.id) : undefined;
    if (!secret) {
      secret = generateSecret({ length: SECRET_BYTES });
      await flow.set(key, { sealed: box.seal(secret, user.id) }, PENDING_TTL_SECONDS);
    }
    const uri = totpUri(issuer, user.email, secret);
    return { setupKey: secret, groupedKey: groupSetupKey(secret), uri, qrPngDataUrl: await QRCode.toDataURL(uri, { margin: 2, scale: 5 }) };
  }

  /**
   * Commits the pending secret once a correct code proves the app has it, and only if the account's
   * factors are still at `factorVersion` (the state the caller decided on).
   */
  async confirmEnrollment({ user, context, factorVersion }: Enrollment, input: string): Promise<EnrollOutcome> {
    const { flow, box, store, clock } = this.#deps;
    const key = pendingKey(context.interactionId, user.id);
    const pending = await flow.get(key);
    if (typeof pending?.['sealed'] !== 'string') return { ok: false, reason: 'invalid' };
    const secret = box.open(pending['sealed'], user.id);
    const step = await this.#matchingStep(secret, input);
    if (step === 'malformed' || step === undefined) return { ok: false, reason: step ?? 'invalid' };
    // Taking the pending secret is what commits it: of two parallel submissions, one wins. A loser
    // that finds another pending secret (set up after the race) puts it back.
    const taken = await flow.take(key);
    if (taken?.['sealed'] !== pending['sealed']) {
      if (taken) await flow.set(key, taken, PENDING_TTL_SECONDS);
      return { ok: false, reason: 'invalid' };
    }
    const record = { sealedSecret: box.seal(secret, user.id), createdAt: clock() };
    return (await store.enrollIfUnchanged(user.id, { kind: 'totp', record, timeStep: step }, factorVersion)) ? { ok: true } : { ok: false, reason: 'stale' };
  }

  /** The time step the code belongs to, `undefined` if it matches none in the window. */
  async #matchingStep(secret: string, input: string): Promise<number | 'malformed' | undefined> {
    const token = input.replace(/\s/g, '');
    if (!CODE.test(token)) return 'malformed';
    try {
      const result = await verify({ secret, token, epoch: Math.floor(this.#deps.clock() / 1000), epochTolerance: TOTP_WINDOW_SECONDS });
      // The union also covers HOTP results, which have no time step.
      return result.valid && 'timeStep' in result ? result.timeStep : undefined;
    } catch {
      return 'malformed';
    }
  }
}

function pendingKey(enrollmentId: string, userId: string): string {
  return `totp-enroll:${enrollmentId}:${userId}`;
}
