/** Persistence for MFA. Implemented in adapters/memory and adapters/redis; both pass test/contract. */

import type { MethodId } from './registry.ts';

export type { MethodId };

export interface TotpRecord {
  /** The base32 secret, sealed by SecretBox (never stored in clear). */
  sealedSecret: string;
  createdAt: number;
}

export interface PhoneRecord {
  /** E.164, e.g. +14155550123. */
  e164: string;
  country: string;
  createdAt: number;
}

/** A second factor to store, as enrollment commits it. */
export type NewFactor = { kind: 'totp'; record: TotpRecord; timeStep: number } | { kind: 'phone'; record: PhoneRecord };

/** One method's removal, with what the account keeps afterwards. */
export interface MethodRemoval {
  method: MethodId;
  /** The preferred method afterwards (one that remains); undefined: none. */
  preferred: MethodId | undefined;
  /** The last factor goes: the recovery code goes with it. */
  dropRecoveryCode: boolean;
}

/** A user's second factors as stored now, read in one go (asked on every challenge). */
export interface FactorState {
  totp: boolean;
  phone: PhoneRecord | undefined;
  preferred: MethodId | undefined;
  /**
   * Changes with every enrollment and removal. Enrollment commits only if it is still the version
   * its decision was made on (compare-and-set), so a stale screen or a racing enrollment cannot win.
   */
  version: number;
  /**
   * A recovery code removed the factors: the uid of the browser session that used it, until a new
   * factor is enrolled. Only that session may enroll meanwhile (nobody else has proved a factor),
   * and the account must enroll again, with no "Skip for now".
   */
  recoveringSession: string | undefined;
  /** The account holds an unused recovery code. */
  recoveryCode: boolean;
  /** When that code was issued (epoch ms); undefined for codes stored before this was recorded. */
  recoveryCodeIssuedAt: number | undefined;
}

export interface MfaFactorStore {
  getTotp(userId: string): Promise<TotpRecord | undefined>;
  /** Replaces the user's one authenticator app unconditionally (seed import); `timeStep` is that of the code that verified it. */
  saveTotp(userId: string, record: TotpRecord, timeStep: number): Promise<void>;
  removeTotp(userId: string): Promise<void>;
  /**
   * Atomically accepts a TOTP time step only if it is later than the last accepted one, so a code
   * (or any earlier code) works once, even when two requests race.
   */
  claimTotpStep(userId: string, timeStep: number): Promise<boolean>;
  /** Stores the one recovery code's hash and when it was issued, voiding the previous code. */
  setRecoveryCodeHash(userId: string, hash: string, issuedAt?: number): Promise<void>;
  hasRecoveryCode(userId: string): Promise<boolean>;
  removeRecoveryCode(userId: string): Promise<void>;
  /** Atomically removes the recovery code if `hash` matches: true for exactly one caller. */
  consumeRecoveryCode(userId: string, hash: string): Promise<boolean>;
  getPhone(userId: string): Promise<PhoneRecord | undefined>;
  /** Replaces the user's SMS number unconditionally (seed import). */
  savePhone(userId: string, record: PhoneRecord): Promise<void>;
  removePhone(userId: string): Promise<void>;
  factorsOf(userId: string): Promise<FactorState>;
  /**
   * Atomically stores `factor` only if the user's factors are still at `expectedVersion`; true when
   * it was stored. Ends the recovery.
   */
  enrollIfUnchanged(userId: string, factor: NewFactor, expectedVersion: number): Promise<boolean>;
  /**
   * Password & Security's Remove, atomically and only if the user's factors are still at
   * `expectedVersion` (the state the refusal rules were checked on): the method's data goes (the app
   * with its last accepted step, or the phone), the preferred method becomes `removal.preferred`,
   * the recovery code goes too when asked, and the version changes. True when it was removed.
   */
  removeMethodIfUnchanged(userId: string, removal: MethodRemoval, expectedVersion: number): Promise<boolean>;
  /**
   * A recovery code used at sign-in, in one atomic step: if `hash` matches, the code is consumed, the
   * app and the phone go, and the account is recovering in `sessionUid`; true for exactly one caller.
   * One step, so that no failure in between (the store or the process dying) can leave the code used
   * and the lost device still the only way in.
   */
  redeemRecoveryCode(userId: string, hash: string, sessionUid: string): Promise<boolean>;
  setPreferredMethod(userId: string, method: MethodId): Promise<void>;
  /**
   * An admin reset, atomically: the app (and its last accepted step), the phone, the recovery code,
   * the preferred method and any recovery in progress go, and the version changes, so an enrollment
   * decided before the reset cannot commit.
   */
  resetFactors(userId: string): Promise<void>;
}

export interface LockState {
  /** Consecutive failures since the last success or lock. */
  failures: number;
  /** How many times the account has been locked since the last success. */
  level: number;
  /** Epoch ms until which the MFA step is locked; 0 when not locked. */
  lockedUntil: number;
}

export interface MfaLockoutStore {
  read(userId: string): Promise<LockState>;
  /**
   * Atomically: refuses while locked, otherwise counts the attempt as a failure in advance and
   * returns its number. Counting before the check is what keeps parallel guesses within the limit.
   */
  beginAttempt(userId: string, nowMs: number): Promise<{ locked: true; lockedUntil: number } | { locked: false; attempt: number; level: number }>;
  /**
   * Atomically, if the level is still `fromLevel`: raises it by one, locks until `lockedUntil` and
   * restarts the count. Undefined, changing nothing, when the level has moved since the caller read
   * it (a parallel lock, a success): the caller reads again. The caller picks the lock's length for
   * the new level (mfa/lockout.ts), so the ladder of durations lives in one place.
   */
  lock(userId: string, fromLevel: number, lockedUntil: number): Promise<LockState | undefined>;
  /** A success: forget the count and the level. */
  reset(userId: string): Promise<void>;
}

/** Short-lived state of one interaction or browser session (a pending enrollment, a skip). */
export interface FlowStore {
  get(key: string): Promise<Record<string, unknown> | undefined>;
  set(key: string, value: Record<string, unknown>, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Atomically reads and deletes: of several callers, exactly one gets the value. */
  take(key: string): Promise<Record<string, unknown> | undefined>;
}

export type SmsCodeCheck = 'ok' | 'mismatch' | 'expired' | 'exhausted' | 'missing';

/** Sent SMS codes, hashed, one per (user, purpose, binding). */
export interface SmsCodeStore {
  /** Stores a new code, replacing (voiding) any earlier one under the key. */
  put(key: string, hash: string, expiresAtMs: number, ttlSeconds: number): Promise<void>;
  /**
   * Atomically counts one check and compares: a match deletes the code (single use); the
   * `maxChecks`-th failed check, or an expired code, deletes it too.
   */
  check(key: string, hash: string, nowMs: number, maxChecks: number): Promise<SmsCodeCheck>;
}
