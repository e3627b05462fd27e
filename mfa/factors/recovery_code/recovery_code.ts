import { createHash, randomBytes } from 'node:crypto';
import { AMR } from '../../assurance.ts';
import type { MfaFactor, VerifyOutcome } from '../../factor.ts';
import type { FactorState, MfaFactorStore } from '../../store.ts';
import type { Clock } from '../../../lib/clock.ts';

/** Crockford base32: no I, L, O or U, so a code read aloud or retyped is unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 24; // 24 × 5 = 120 bits: enough for a plain SHA-256 at rest (≥ 112 bits)

/**
 * The one recovery code of an account (a NIST "look-up secret"): shown once, stored as a hash,
 * consumed atomically. Issuing a new one voids the old one. A factor, not a method: it is issued
 * with every enrollment and never chosen or enrolled on its own.
 */
export class RecoveryCodeFactor implements MfaFactor<'recovery_code'> {
  readonly id = 'recovery_code' as const;
  readonly label = 'Recovery Code';
  readonly amr = [AMR.recoveryCode] as const;
  readonly #store: MfaFactorStore;
  readonly #clock: Clock;

  constructor(store: MfaFactorStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  isEnrolled(state: FactorState): boolean {
    return state.recoveryCode;
  }

  async issue(userId: string): Promise<string> {
    const bytes = randomBytes(LENGTH);
    const code = [...bytes].map((b) => ALPHABET[b & 31]).join('');
    await this.#store.setRecoveryCodeHash(userId, hashCode(code), this.#clock());
    return formatRecoveryCode(code);
  }

  async verify(userId: string, input: string): Promise<VerifyOutcome> {
    const code = normalizeRecoveryCode(input);
    if (code === undefined) return { ok: false, reason: 'malformed' };
    return (await this.#store.consumeRecoveryCode(userId, hashCode(code))) ? { ok: true } : { ok: false, reason: 'invalid' };
  }

  /**
   * The code used at sign-in (Mfa.recover): consumed, and the methods dropped, in one atomic step,
   * the account left recovering in `sessionUid`. Never the two steps apart: a failure between them
   * would leave the code used up and the lost device still the only way in.
   */
  async redeem(userId: string, input: string, sessionUid: string): Promise<VerifyOutcome> {
    const code = normalizeRecoveryCode(input);
    if (code === undefined) return { ok: false, reason: 'malformed' };
    return (await this.#store.redeemRecoveryCode(userId, hashCode(code), sessionUid)) ? { ok: true } : { ok: false, reason: 'invalid' };
  }

  async remove(userId: string): Promise<void> {
    await this.#store.removeRecoveryCode(userId);
  }
}

/** Groups of four for reading: XXXX-XXXX-XXXX-XXXX-XXXX-XXXX. */
export function formatRecoveryCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1-');
}

/** Accepts what people type: any case, spaces or dashes, and O/I/L for 0/1. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return new RegExp(`^[${ALPHABET}]{${LENGTH}}$`).test(code) ? code : undefined;
}

function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
