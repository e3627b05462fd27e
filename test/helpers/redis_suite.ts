import { randomBytes } from 'node:crypto';
import { RedisServer, redisServerInstalled } from './redis_server.ts';

export interface RedisTarget {
  url: string;
  /** A key prefix unique to this suite, so suites never see each other's data. */
  prefix: string;
  /** The throwaway server, when this run started one (not when REDIS_URL was given). */
  server: RedisServer | undefined;
}

/**
 * Gives a mocha suite a real Redis: REDIS_URL when set, otherwise a throwaway redis-server.
 * Without either, the suite fails under CI and is skipped, visibly, elsewhere.
 */
export function useRedis(): () => RedisTarget {
  let target: RedisTarget | undefined;
  before(async function () {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    if (process.env['REDIS_URL']) {
      target = { url: process.env['REDIS_URL'], prefix, server: undefined };
      return;
    }
    if (!redisServerInstalled()) {
      const message = 'redis-server is not installed and REDIS_URL is not set: the Redis suites cannot run.';
      if (process.env['CI']) throw new Error(message);
      console.warn(`\n  SKIPPED: ${message}\n`);
      this.skip();
    }
    const server = await RedisServer.start();
    target = { url: server.url, prefix, server };
  });
  after(async () => {
    await target?.server?.stop();
  });
  return () => {
    if (!target) throw new Error('Redis is not ready');
    return target;
  };
}
