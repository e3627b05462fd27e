import { randomBytes } from 'node:crypto';
import { redisTopology, type RedisTopology } from '../../config/redis_topology.ts';
import { LocalRedisCluster, redisCliInstalled } from './redis_cluster.ts';
import { RedisServer, redisServerInstalled } from './redis_server.ts';

export interface RedisTarget {
  /** One Redis (`single`) or, with TEST_REDIS=cluster, a Redis Cluster (`cluster`). */
  topology: RedisTopology;
  /** A key prefix unique to this suite, so suites never see each other's data. */
  prefix: string;
  /** The throwaway server, when this run started one (not when REDIS_URL was given, nor on a cluster). */
  server: RedisServer | undefined;
}

/**
 * True when the suites run on a Redis Cluster (`npm run test:cluster`): the Redis suites get the
 * cluster, and the suites run on each backend skip the in-memory half, which `mocha` already ran.
 */
export function onCluster(): boolean {
  return process.env['TEST_REDIS'] === 'cluster';
}

/**
 * Gives a mocha suite a real Redis: REDIS_URL when set, otherwise a throwaway redis-server; with
 * TEST_REDIS=cluster, REDIS_CLUSTER_NODES when set, otherwise one local cluster for the whole
 * process. Without the tools, the suite fails under CI and is skipped, visibly, elsewhere.
 */
export function useRedis(): () => RedisTarget {
  let target: RedisTarget | undefined;
  before(async function () {
    const prefix = `test:${randomBytes(4).toString('hex')}:`;
    if (onCluster()) {
      const given = redisTopology({ REDIS_CLUSTER_NODES: process.env['REDIS_CLUSTER_NODES'] });
      if (given) {
        target = { topology: given, prefix, server: undefined };
        return;
      }
      if (!redisServerInstalled() || !redisCliInstalled()) unavailable(this, 'redis-server and redis-cli are needed to start a cluster, and REDIS_CLUSTER_NODES is not set');
      // Starting a cluster takes seconds: the suites of a process share one.
      this.timeout(90_000);
      const cluster = await sharedCluster();
      target = { topology: { kind: 'cluster', nodes: cluster.seedNodes, credentials: {} }, prefix, server: undefined };
      return;
    }
    if (process.env['REDIS_URL']) {
      target = { topology: { kind: 'single', url: process.env['REDIS_URL'] }, prefix, server: undefined };
      return;
    }
    if (!redisServerInstalled()) unavailable(this, 'redis-server is not installed and REDIS_URL is not set');
    const server = await RedisServer.start();
    target = { topology: { kind: 'single', url: server.url }, prefix, server };
  });
  after(async () => {
    await target?.server?.stop();
  });
  return () => {
    if (!target) throw new Error('Redis is not ready');
    return target;
  };
}

function unavailable(context: Mocha.Context, why: string): never {
  const message = `${why}: the Redis suites cannot run.`;
  if (process.env['CI']) throw new Error(message);
  console.warn(`\n  SKIPPED: ${message}\n`);
  context.skip();
}

let shared: Promise<LocalRedisCluster> | undefined;

/** The process's cluster, started on first use and killed when the process exits (mocha --exit included). */
function sharedCluster(): Promise<LocalRedisCluster> {
  if (!shared) {
    shared = LocalRedisCluster.start();
    void shared.then(
      (cluster) => {
        process.once('exit', () => {
          cluster.stopNow();
        });
      },
      () => undefined,
    );
  }
  return shared;
}
