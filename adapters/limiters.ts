import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { LimiterFactory } from '../lib/limiters.ts';
import type { RedisClient } from './redis/client.ts';

export const memoryLimiters: LimiterFactory = (keyPrefix, points, duration) => new RateLimiterMemory({ keyPrefix, points, duration });

/** Errors from Redis propagate (no insurance limiter): a login is refused with a 503, never let through. */
export function redisLimiters(redis: RedisClient, prefix: string): LimiterFactory {
  return (keyPrefix, points, duration) =>
    new RateLimiterRedis({ storeClient: redis, useRedisPackage: true, keyPrefix: `${prefix}rl:${keyPrefix}`, points, duration });
}
