import type { MfaLimits } from '../config/config.ts';
import type { Clock } from '../lib/clock.ts';
import type { LimiterFactory } from '../security/login_throttle.ts';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { MfaLockoutStore } from './store.ts';

/** Minutes of the `level`-th lockout (1-based); the last configured value repeats. */
export function lockMinutesFor(level: number, lockMinutes: number[]): number {
  return lockMinutes[Math.min(level, lockMinutes.length) - 1] ?? lockMinutes[lockMinutes.length - 1] ?? 60;
}

export type AttemptTicket = { locked: false; attempt: number } | { locked: true; retryAfterSeconds: number };

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

  /**
   * Before checking a code: refused while the account or the address is locked. Otherwise the
   * attempt is counted as a failure in advance, so that parallel guesses cannot all be checked
   * before the first failure is recorded: attempts past the limit are refused unchecked.
   */
  async begin(userId: string, ip: string): Promise<AttemptTicket> {
    const now = this.#clock();
    const address = await this.#ip.get(ip);
    if (address !== null && address.consumedPoints >= this.#limits.ip.maxFailures) return { locked: true, retryAfterSeconds: Math.ceil(address.msBeforeNext / 1000) };
    const begun = await this.#store.beginAttempt(userId, now);
    if (begun.locked) return { locked: true, retryAfterSeconds: Math.ceil((begun.lockedUntil - now) / 1000) };
    if (begun.attempt > this.#limits.maxFailures) {
      // The attempt that reached the limit is being checked right now and will lock if it fails.
      return { locked: true, retryAfterSeconds: lockMinutesFor(begun.level + 1, this.#limits.lockMinutes) * 60 };
    }
    return { locked: false, attempt: begun.attempt };
  }

  /** The attempt failed (it is already counted); `justLocked` when it was the last one allowed. */
  async failed(userId: string, ip: string, ticket: { attempt: number }): Promise<{ justLocked: boolean; retryAfterSeconds: number }> {
    await this.#ip.consume(ip).catch((err: unknown) => {
      if (!(err instanceof RateLimiterRes)) throw err;
    });
    if (ticket.attempt < this.#limits.maxFailures) return { justLocked: false, retryAfterSeconds: 0 };
    const state = await this.#store.lock(userId, this.#clock(), this.#limits.lockMinutes);
    return { justLocked: true, retryAfterSeconds: Math.max(0, Math.ceil((state.lockedUntil - this.#clock()) / 1000)) };
  }

  /** A success clears the count taken in advance, and any earlier failures and lock level. */
  async succeeded(userId: string): Promise<void> {
    await this.#store.reset(userId);
  }
}
