import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { LoginLimits } from '../config/config.ts';
import type { RedisClient } from '../adapters/redis/client.ts';
import { normalizeEmail } from '../directory/types.ts';

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Failed-password limits, per account and per client IP. The account key is the normalized email,
 * hashed, so unknown emails are limited the same way as known ones and no address is stored in clear.
 * MFA failures are counted elsewhere (Keycloak #46164: mixing them lets one factor lock the other).
 */
export class LoginThrottle {
  readonly #account: RateLimiterAbstract;
  readonly #ip: RateLimiterAbstract;
  readonly #limits: LoginLimits;

  constructor(limits: LoginLimits, makeLimiter: LimiterFactory) {
    this.#limits = limits;
    this.#account = makeLimiter('login_fail_account', limits.account.maxFailures, limits.account.windowSeconds);
    this.#ip = makeLimiter('login_fail_ip', limits.ip.maxFailures, limits.ip.windowSeconds);
  }

  /** Before verifying a password: is this account or address locked out? */
  async check(email: string, ip: string): Promise<ThrottleVerdict> {
    const [account, address] = await Promise.all([this.#account.get(accountKey(email)), this.#ip.get(ip)]);
    const waits = [
      blockedFor(account, this.#limits.account.maxFailures),
      blockedFor(address, this.#limits.ip.maxFailures),
    ].filter((ms) => ms > 0);
    return waits.length === 0 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.ceil(Math.max(...waits) / 1000) };
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([
      this.#fail(this.#account, accountKey(email), this.#limits.account),
      this.#fail(this.#ip, ip, this.#limits.ip),
    ]);
  }

  /** A correct password clears the account's count (not the address's: one address may try many accounts). */
  async recordSuccess(email: string): Promise<void> {
    await this.#account.delete(accountKey(email));
  }

  async #fail(limiter: RateLimiterAbstract, key: string, limit: LoginLimits['account']): Promise<void> {
    try {
      const res = await limiter.consume(key);
      if (res.consumedPoints >= limit.maxFailures) await limiter.block(key, limit.lockSeconds);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
    }
  }
}

export type LimiterFactory = (keyPrefix: string, points: number, durationSeconds: number) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (keyPrefix, points, duration) =>
  new RateLimiterMemory({ keyPrefix, points, duration });

/** Errors from Redis propagate (no insurance limiter): a login is refused with a 503, never let through. */
export function redisLimiters(redis: RedisClient, prefix: string): LimiterFactory {
  return (keyPrefix, points, duration) =>
    new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, keyPrefix: `${prefix}rl:${keyPrefix}`, points, duration });
}

function accountKey(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('hex');
}

function blockedFor(res: RateLimiterRes | null, maxFailures: number): number {
  return res !== null && res.consumedPoints >= maxFailures ? res.msBeforeNext : 0;
}
