import { createHash } from 'node:crypto';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LoginLimits } from '../config/config.ts';
import type { LimiterFactory } from '../lib/limiters.ts';
import type { Metrics } from '../lib/metrics.ts';
import { emailLookupKey } from './email_address.ts';
import { giveBackQuietly, givePointBack, takePoints } from '../lib/take_point.ts';

/** A password attempt that may go ahead (already counted as a failure), or a refusal. */
export type PasswordAttempt =
  | { allowed: true; readonly counted: { account: CountedPoint; ip: CountedPoint } }
  | { allowed: false; retryAfterSeconds: number };

interface CountedPoint {
  key: string;
  /** This attempt's place in the window: the one equal to the limit locks if it fails. */
  attempt: number;
}

/**
 * Failed-password limits, per account and per client IP. The account key is the normalized email,
 * hashed, so unknown emails are limited the same way as known ones and no address is stored in clear.
 * MFA failures are counted elsewhere (Keycloak #46164: mixing them lets one factor lock the other).
 *
 * Each attempt is counted as a failure before its password is verified, in one atomic step per
 * counter, so parallel guesses cannot all read the count before any failure is written: attempts
 * past the limit are refused unhashed. A success then takes the count back.
 */
export class LoginThrottle {
  readonly #account: RateLimiterAbstract;
  readonly #ip: RateLimiterAbstract;
  readonly #limits: LoginLimits;
  readonly #metrics: Pick<Metrics, 'lockouts'> | undefined;

  constructor(limits: LoginLimits, makeLimiter: LimiterFactory, metrics?: Pick<Metrics, 'lockouts'>) {
    this.#limits = limits;
    this.#metrics = metrics;
    this.#account = makeLimiter('login_fail_account', limits.account.maxFailures, limits.account.windowSeconds);
    this.#ip = makeLimiter('login_fail_ip', limits.ip.maxFailures, limits.ip.windowSeconds);
  }

  /**
   * Before verifying a password: counts the attempt on both counters, and refuses it when either is
   * past its limit (a locked account is refused even with the right password). A refused attempt
   * gives back the points it took: it checked nothing, so it is no failure (an address that is
   * refused cannot keep an account's count up, nor the other way round).
   */
  async begin(email: string, ip: string): Promise<PasswordAttempt> {
    const account = accountKey(email);
    const [onAccount, onIp] = await takePoints([
      { limiter: this.#account, key: account },
      { limiter: this.#ip, key: ip },
    ]);
    if (onAccount?.ok && onIp?.ok) return { allowed: true, counted: { account: { key: account, attempt: onAccount.consumed }, ip: { key: ip, attempt: onIp.consumed } } };
    await Promise.all([givePointBack(this.#account, account), givePointBack(this.#ip, ip)]);
    const waits = [onAccount, onIp].flatMap((t) => (t === undefined || t.ok ? [] : [t.msBeforeNext]));
    return { allowed: false, retryAfterSeconds: Math.ceil(Math.max(...waits) / 1000) };
  }

  /** The password was wrong (already counted): the attempt that reached a limit starts the lock. */
  async failed(attempt: Extract<PasswordAttempt, { allowed: true }>): Promise<void> {
    const { account, ip } = attempt.counted;
    const lockAccount = account.attempt >= this.#limits.account.maxFailures;
    const lockIp = ip.attempt >= this.#limits.ip.maxFailures;
    await Promise.all([lockAccount ? this.#account.block(account.key, this.#limits.account.lockSeconds) : undefined, lockIp ? this.#ip.block(ip.key, this.#limits.ip.lockSeconds) : undefined]);
    if (lockAccount) this.#metrics?.lockouts.inc({ kind: 'login', scope: 'account' });
    if (lockIp) this.#metrics?.lockouts.inc({ kind: 'login', scope: 'ip' });
  }

  /**
   * The store failed before the password was checked (the user could not be read): the attempt
   * checked nothing, so its points are given back, as far as the store lets. Never after a check:
   * a failure whose recording failed stays counted where it was counted.
   */
  async abandoned(attempt: Extract<PasswordAttempt, { allowed: true }>): Promise<void> {
    const { account, ip } = attempt.counted;
    await giveBackQuietly([
      { limiter: this.#account, key: account.key },
      { limiter: this.#ip, key: ip.key },
    ]);
  }

  /**
   * A correct password clears the account's count, and gives the address back the point taken in
   * advance: the address counts failures only, but is not cleared (one address may try many accounts).
   */
  async succeeded(attempt: Extract<PasswordAttempt, { allowed: true }>): Promise<void> {
    const { account, ip } = attempt.counted;
    await Promise.all([this.#account.delete(account.key), givePointBack(this.#ip, ip.key)]);
  }
}

function accountKey(email: string): string {
  return createHash('sha256').update(emailLookupKey(email)).digest('hex');
}
