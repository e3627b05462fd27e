import type { MfaLimits } from '../config/config.ts';
import type { Clock } from '../lib/clock.ts';
import type { LimiterFactory } from '../security/login_throttle.ts';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { MfaLockoutStore } from './store.ts';

/** Minutes of the `level`-th lockout (1-based); the last configured value repeats. */
export function lockMinutesFor(level: number, lockMinutes: number[]): number {
  return lockMinutes[Math.min(level, lockMinutes.length) - 1] ?? lockMinutes[lockMinutes.length - 1] ?? 60;
}

/** `failures`: whether the account has failures on record that a success must clear. */
export type LockVerdict = { locked: false; failures: boolean } | { locked: true; retryAfterSeconds: number };

/**
 * The one place MFA failures are counted, for every factor: per account across all sessions and
 * interactions (consecutive failures, growing lock), and per client IP. Password failures are
 * counted apart (security/login_throttle.ts).
 */
export class MfaLockout {
  readonly #store: MfaLockoutStore;
  readonly #limits: MfaLimits;
  readonly #clock: Clock;
  readonly #ip: RateLimiterAbstract;

  constructor(store: MfaLockoutStore, limits: MfaLimits, clock: Clock, makeLimiter: LimiterFactory) {
    this.#store = store;
    this.#limits = limits;
    this.#clock = clock;
    this.#ip = makeLimiter('mfa_fail_ip', limits.ip.maxFailures, limits.ip.windowSeconds);
  }

  async check(userId: string, ip: string): Promise<LockVerdict> {
    const [state, address] = await Promise.all([this.#store.read(userId), this.#ip.get(ip)]);
    const accountMs = state.lockedUntil - this.#clock();
    const ipMs = address !== null && address.consumedPoints >= this.#limits.ip.maxFailures ? address.msBeforeNext : 0;
    const waitMs = Math.max(accountMs, ipMs);
    return waitMs > 0 ? { locked: true, retryAfterSeconds: Math.ceil(waitMs / 1000) } : { locked: false, failures: state.failures > 0 || state.level > 0 };
  }

  /** Counts a failure; `justLocked` is true for the failure that triggered a lock. */
  async recordFailure(userId: string, ip: string): Promise<{ justLocked: boolean; retryAfterSeconds: number }> {
    const [state] = await Promise.all([
      this.#store.recordFailure(userId, this.#clock(), this.#limits.maxFailures, this.#limits.lockMinutes),
      this.#ip.consume(ip).catch((err: unknown) => {
        if (!(err instanceof RateLimiterRes)) throw err;
      }),
    ]);
    return { justLocked: state.justLocked, retryAfterSeconds: Math.max(0, Math.ceil((state.lockedUntil - this.#clock()) / 1000)) };
  }

  async recordSuccess(userId: string): Promise<void> {
    await this.#store.reset(userId);
  }
}
