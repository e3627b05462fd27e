import { systemClock, type Clock } from '../../lib/clock.ts';
import type { FactorState, FlowStore, LockState, MethodId, MethodRemoval, MfaFactorStore, MfaLockoutStore, NewFactor, PhoneRecord, SmsCodeCheck, SmsCodeStore, TotpRecord } from '../../mfa/store.ts';
import { flowValue, parseJsonRecord } from '../records.ts';

interface UserFactors {
  totp?: TotpRecord;
  phone?: PhoneRecord;
  totpStep?: number;
  recoveryHash?: string;
  recoveryAt?: number;
  preferred?: MethodId;
  version?: number;
  recoveringSession?: string;
}

/** In-process MFA storage. JavaScript runs one callback at a time, so each method is atomic. */
export class MemoryMfaFactorStore implements MfaFactorStore {
  readonly #users = new Map<string, UserFactors>();

  #of(userId: string): UserFactors {
    let factors = this.#users.get(userId);
    if (!factors) this.#users.set(userId, (factors = {}));
    return factors;
  }

  getTotp(userId: string): Promise<TotpRecord | undefined> {
    const totp = this.#users.get(userId)?.totp;
    return Promise.resolve(totp ? { ...totp } : undefined);
  }

  saveTotp(userId: string, record: TotpRecord, timeStep: number): Promise<void> {
    this.#store(userId, { kind: 'totp', record, timeStep });
    return Promise.resolve();
  }

  removeTotp(userId: string): Promise<void> {
    const factors = this.#of(userId);
    delete factors.totp;
    delete factors.totpStep;
    bump(factors);
    return Promise.resolve();
  }

  claimTotpStep(userId: string, timeStep: number): Promise<boolean> {
    const factors = this.#of(userId);
    if (factors.totpStep !== undefined && timeStep <= factors.totpStep) return Promise.resolve(false);
    factors.totpStep = timeStep;
    return Promise.resolve(true);
  }

  setRecoveryCodeHash(userId: string, hash: string, issuedAt?: number): Promise<void> {
    const factors = this.#of(userId);
    factors.recoveryHash = hash;
    factors.recoveryAt = issuedAt;
    return Promise.resolve();
  }

  hasRecoveryCode(userId: string): Promise<boolean> {
    return Promise.resolve(this.#users.get(userId)?.recoveryHash !== undefined);
  }

  removeRecoveryCode(userId: string): Promise<void> {
    const factors = this.#of(userId);
    delete factors.recoveryHash;
    delete factors.recoveryAt;
    return Promise.resolve();
  }

  consumeRecoveryCode(userId: string, hash: string): Promise<boolean> {
    const factors = this.#users.get(userId);
    if (factors?.recoveryHash === undefined || factors.recoveryHash !== hash) return Promise.resolve(false);
    delete factors.recoveryHash;
    delete factors.recoveryAt;
    return Promise.resolve(true);
  }

  getPhone(userId: string): Promise<PhoneRecord | undefined> {
    const phone = this.#users.get(userId)?.phone;
    return Promise.resolve(phone ? { ...phone } : undefined);
  }

  savePhone(userId: string, record: PhoneRecord): Promise<void> {
    this.#store(userId, { kind: 'phone', record });
    return Promise.resolve();
  }

  removePhone(userId: string): Promise<void> {
    const factors = this.#of(userId);
    delete factors.phone;
    bump(factors);
    return Promise.resolve();
  }

  factorsOf(userId: string): Promise<FactorState> {
    const factors = this.#users.get(userId);
    return Promise.resolve({
      totp: factors?.totp !== undefined,
      phone: factors?.phone ? { ...factors.phone } : undefined,
      preferred: factors?.preferred,
      version: factors?.version ?? 0,
      recoveringSession: factors?.recoveringSession,
      recoveryCode: factors?.recoveryHash !== undefined,
      recoveryCodeIssuedAt: factors?.recoveryHash !== undefined ? factors.recoveryAt : undefined,
    });
  }

  enrollIfUnchanged(userId: string, factor: NewFactor, expectedVersion: number): Promise<boolean> {
    if ((this.#users.get(userId)?.version ?? 0) !== expectedVersion) return Promise.resolve(false);
    this.#store(userId, factor);
    return Promise.resolve(true);
  }

  removeMethodIfUnchanged(userId: string, removal: MethodRemoval, expectedVersion: number): Promise<boolean> {
    if ((this.#users.get(userId)?.version ?? 0) !== expectedVersion) return Promise.resolve(false);
    const factors = this.#of(userId);
    switch (removal.method) {
      case 'totp':
        delete factors.totp;
        delete factors.totpStep;
        break;
      case 'sms':
        delete factors.phone;
    }
    if (removal.preferred === undefined) delete factors.preferred;
    else factors.preferred = removal.preferred;
    if (removal.dropRecoveryCode) {
      delete factors.recoveryHash;
      delete factors.recoveryAt;
    }
    bump(factors);
    return Promise.resolve(true);
  }

  redeemRecoveryCode(userId: string, hash: string, sessionUid: string): Promise<boolean> {
    const factors = this.#users.get(userId);
    if (factors?.recoveryHash === undefined || factors.recoveryHash !== hash) return Promise.resolve(false);
    delete factors.recoveryHash;
    delete factors.recoveryAt;
    delete factors.totp;
    delete factors.totpStep;
    delete factors.phone;
    factors.recoveringSession = sessionUid;
    bump(factors);
    return Promise.resolve(true);
  }

  resetFactors(userId: string): Promise<void> {
    // Only the version survives, bumped, so that a stale enrollment screen's compare-and-set fails.
    const factors = this.#of(userId);
    this.#users.set(userId, { version: factors.version });
    bump(this.#of(userId));
    return Promise.resolve();
  }

  #store(userId: string, factor: NewFactor): void {
    const factors = this.#of(userId);
    if (factor.kind === 'totp') Object.assign(factors, { totp: { ...factor.record }, totpStep: factor.timeStep });
    else factors.phone = { ...factor.record };
    delete factors.recoveringSession;
    bump(factors);
  }

  setPreferredMethod(userId: string, method: MethodId): Promise<void> {
    this.#of(userId).preferred = method;
    return Promise.resolve();
  }
}

function bump(factors: UserFactors): void {
  factors.version = (factors.version ?? 0) + 1;
}

export class MemoryMfaLockoutStore implements MfaLockoutStore {
  readonly #states = new Map<string, LockState>();

  read(userId: string): Promise<LockState> {
    return Promise.resolve({ ...(this.#states.get(userId) ?? { failures: 0, level: 0, lockedUntil: 0 }) });
  }

  beginAttempt(userId: string, nowMs: number): Promise<{ locked: true; lockedUntil: number } | { locked: false; attempt: number; level: number }> {
    const state = this.#state(userId);
    if (state.lockedUntil > nowMs) return Promise.resolve({ locked: true, lockedUntil: state.lockedUntil });
    state.failures += 1;
    return Promise.resolve({ locked: false, attempt: state.failures, level: state.level });
  }

  lock(userId: string, fromLevel: number, lockedUntil: number): Promise<LockState | undefined> {
    const state = this.#state(userId);
    if (state.level !== fromLevel) return Promise.resolve(undefined);
    Object.assign(state, { level: fromLevel + 1, lockedUntil, failures: 0 });
    return Promise.resolve({ ...state });
  }

  #state(userId: string): LockState {
    let state = this.#states.get(userId);
    if (!state) this.#states.set(userId, (state = { failures: 0, level: 0, lockedUntil: 0 }));
    return state;
  }

  reset(userId: string): Promise<void> {
    this.#states.delete(userId);
    return Promise.resolve();
  }
}

export class MemoryFlowStore implements FlowStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  readonly #clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  get(key: string): Promise<Record<string, unknown> | undefined> {
    const entry = this.#entries.get(key);
    if (!entry || entry.expiresAt <= this.#clock()) return Promise.resolve(undefined);
    return Promise.resolve(parseJsonRecord(flowValue, entry.value, 'flow state'));
  }

  set(key: string, value: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    this.#entries.set(key, { value: JSON.stringify(value), expiresAt: this.#clock() + ttlSeconds * 1000 });
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }

  take(key: string): Promise<Record<string, unknown> | undefined> {
    const value = this.get(key);
    this.#entries.delete(key);
    return value;
  }
}

export class MemorySmsCodeStore implements SmsCodeStore {
  readonly #codes = new Map<string, { hash: string; expiresAt: number; checks: number }>();

  put(key: string, hash: string, expiresAtMs: number): Promise<void> {
    this.#codes.set(key, { hash, expiresAt: expiresAtMs, checks: 0 });
    return Promise.resolve();
  }

  check(key: string, hash: string, nowMs: number, maxChecks: number): Promise<SmsCodeCheck> {
    const code = this.#codes.get(key);
    if (!code) return Promise.resolve('missing');
    if (code.expiresAt <= nowMs) {
      this.#codes.delete(key);
      return Promise.resolve('expired');
    }
    code.checks += 1;
    if (code.hash === hash) {
      this.#codes.delete(key);
      return Promise.resolve('ok');
    }
    if (code.checks >= maxChecks) {
      this.#codes.delete(key);
      return Promise.resolve('exhausted');
    }
    return Promise.resolve('mismatch');
  }
}
