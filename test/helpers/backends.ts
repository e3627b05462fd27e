import type { Backend } from './idp.ts';
import { useRedis } from './redis_suite.ts';

/**
 * Runs one suite on the in-memory stores and again on a real Redis: the same behaviour is required
 * of both. Each Redis run of a test gets its own key prefix.
 */
export function onEachBackend(title: string, suite: (backend: () => Backend) => void): void {
  describe(`${title} on the in-memory stores`, () => {
    suite(() => ({ kind: 'memory' }));
  });
  describe(`${title} on Redis`, () => {
    const redis = useRedis();
    let run = 0;
    suite(() => ({ kind: 'redis', url: redis().url, prefix: `${redis().prefix}${++run}:` }));
  });
}
