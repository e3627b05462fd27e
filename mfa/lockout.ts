import type { MfaLimits } from '../config/config.ts';
import type { Clock } from '../lib/clock.ts';
import type { LimiterFactory } from '../lib/limiters.ts';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { giveBackQuietly, givePointBack, takePoint } from '../lib/take_point.ts';
import type { LockState, MfaLockoutStore } from './store.ts';

/** Minutes of the `level`-th lockout (1-based); the last configured value repeats. */
export function lockMinutesFor(level: number, lockMinutes: number[]): number {
  return lockMinutes[Math.min(level, lockMinutes.length) - 1] ?? lockMinutes[lockMinutes.length - 1] ?? 60;
}

const LOCK_RETRIES = 20;

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
   * attempt is counted as a failure in advance, on the account and on the address, so that parallel
   * guesses cannot all be checked before the first failure is recorded: attempts past either limit
   * are refused unchecked, and give their address point back (a refusal is not a guess).
   */
  async begin(userId: string, ip: string): Promise<AttemptTicket> {
    const now = this.#clock();
    const onIp = await takePoint(this.#ip, ip);
    if (!onIp.ok) {
      await givePointBack(this.#ip, ip);
      return { locked: true, retryAfterSeconds: Math.ceil(onIp.msBeforeNext / 1000) };
    }
    let begun;
    try {
      begun = await this.#store.beginAttempt(userId, now);
    } catch (err) {
      // Nothing was checked: an outage of the account's shard must not count against the address.
      await giveBackQuietly([{ limiter: this.#ip, key: ip }]);
      throw err;
    }
    if (begun.locked || begun.attempt > this.#limits.maxFailures) await givePointBack(this.#ip, ip);
    if (begun.locked) return { locked: true, retryAfterSeconds: Math.ceil((begun.lockedUntil - now) / 1000) };
    if (begun.attempt > this.#limits.maxFailures) {
      // Past the limit with no lock: the attempt that reached it is being checked right now, or it
      // never finished (the store failed under it) and would otherwise leave the account refused
      // with no lock to run out. Lock now; a success of the one in flight still clears it.
      const state = await this.#lockUnlessLocked(userId);
      return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil((state.lockedUntil - this.#clock()) / 1000)) };
    }
    return { locked: false, attempt: begun.attempt };
  }

  /** The attempt failed (it is already counted); `justLocked` when it was the last one allowed. */
  async failed(userId: string, ticket: { attempt: number }): Promise<{ justLocked: boolean; retryAfterSeconds: number }> {
    if (ticket.attempt < this.#limits.maxFailures) return { justLocked: false, retryAfterSeconds: 0 };
    const state = await this.#lockUnlessLocked(userId);
    return { justLocked: true, retryAfterSeconds: Math.max(0, Math.ceil((state.lockedUntil - this.#clock()) / 1000)) };
  }

  /** A lock already running (set by a parallel attempt past the limit) is the lock: the level climbs once. */
  async #lockUnlessLocked(userId: string): Promise<LockState> {
    const current = await this.#store.read(userId);
    return current.lockedUntil > this.#clock() ? current : this.#lockAtNextLevel(userId);
  }

  /**
   * Locks for the length of the level after the stored one. The store raises the level only if
   * nothing moved it since the read (compare-and-set); if something did, it is read again, so
   * parallel locks still climb one level each, as an atomic increment would. Bounded: past the
   * retries, the parallel lockers that kept winning have locked the account anyway.
   */
  async #lockAtNextLevel(userId: string): Promise<LockState> {
    for (let retry = 0; retry < LOCK_RETRIES; retry++) {
      const { level } = await this.#store.read(userId);
      const lockedUntil = this.#clock() + lockMinutesFor(level + 1, this.#limits.lockMinutes) * 60_000;
      const locked = await this.#store.lock(userId, level, lockedUntil);
      if (locked) return locked;
    }
    return this.#store.read(userId);
  }

  /**
   * A success clears the account's count taken in advance, and any earlier failures and lock level,
   * and gives the address its point back: the address limit counts failures only.
   */
  async succeeded(userId: string, ip: string): Promise<void> {
    await Promise.all([this.#store.reset(userId), givePointBack(this.#ip, ip)]);
  }

  /**
   * An admin reset: the account's count, lock and level go, so the new enrollment starts unlocked.
   * The per-address counts stay: they are about the address, not the account.
   */
  async forgetAccount(userId: string): Promise<void> {
    await this.#store.reset(userId);
  }
}
