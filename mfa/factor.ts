export type FactorId = 'totp' | 'sms' | 'recovery_code';

/** What a verification is bound to: the interaction it happens in (SMS codes are sent for one). */
export interface FactorContext {
  interactionId: string;
}

/** Failures are returned, never thrown: a malformed code is a failed attempt like a wrong one. */
export type VerifyOutcome = { ok: true } | { ok: false; reason: 'malformed' | 'invalid' };

/**
 * An enrollment commit: a wrong code, or `stale` when the account's factors changed since the
 * decision to let this enrollment happen (a stale screen, a racing enrollment): nothing was stored.
 */
export type EnrollOutcome = { ok: true } | { ok: false; reason: 'malformed' | 'invalid' | 'stale' };

/**
 * One way of proving the second factor. The flow (interactions/mfa) owns the screens and the
 * lockout; a factor only knows its own data.
 */
export interface MfaFactor {
  readonly id: FactorId;
  /** RFC 8176 values this factor adds to the session's `amr`. */
  readonly amr: readonly string[];
  isEnrolled(userId: string): Promise<boolean>;
  verify(userId: string, input: string, context: FactorContext): Promise<VerifyOutcome>;
  /** For recovery, self-service and admin reset. */
  remove(userId: string): Promise<void>;
}
