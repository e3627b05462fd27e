import type { Backend } from './idp.ts';
import { onCluster, useRedis, type RedisTarget } from './redis_suite.ts';

/**
 * Runs one suite on the in-memory stores and again on a real Redis: the same behaviour is required
 * of both. Each Redis run of a test gets its own key prefix. On a cluster run (TEST_REDIS=cluster)
 * only the Redis half runs, on the cluster.
 */
export function onEachBackend(title: string, suite: (backend: () => Backend) => void): void {
  if (!onCluster()) {
    describe(`${title} on the in-memory stores`, () => {
      suite(() => ({ kind: 'memory' }));
    });
  }
  describe(`${title} on ${onCluster() ? 'a Redis Cluster' : 'Redis'}`, () => {
    const redis = useRedis();
    let run = 0;
    suite(() => redisBackend(redis(), `${redis().prefix}${++run}:`));
  });
}

/** The backend of a suite's Redis (useRedis), under `prefix` (by default the suite's own). */
export function redisBackend(target: RedisTarget, prefix = target.prefix): Backend {
  return { kind: 'redis', topology: target.topology, prefix };
}
