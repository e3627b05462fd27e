import { createClient, createCluster } from 'redis';
import type { SingleClient } from '../../adapters/redis/client.ts';
import type { RedisTopology } from '../../config/redis_topology.ts';

/**
 * A connection for tests that read or plant keys behind the stores' back, on one Redis or a
 * cluster alike: keyed commands go to the key's master, and KEYS asks every master
 * (node-redis routes them to all shards and joins the answers).
 */
export type TestRedis = Pick<
  SingleClient,
  | 'get' | 'set' | 'del' | 'exists' | 'keys' | 'type' | 'ttl' | 'pTTL' | 'expire'
  | 'hGetAll' | 'hSet' | 'sMembers' | 'zAdd' | 'zRem' | 'zRange' | 'zScore' | 'lRange' | 'xAdd' | 'xRange' | 'xRevRange'
  | 'eval' | 'mGet' | 'getDel' | 'persist' | 'sAdd' | 'sIsMember' | 'hGet' | 'hmGet' | 'hVals' | 'hExists' | 'hDel'
  | 'close' | 'destroy'
>;

/** Opens a TestRedis on the topology (single or cluster); the caller closes it. */
export async function openRedis(topology: RedisTopology): Promise<TestRedis> {
  switch (topology.kind) {
    case 'single': {
      const client = createClient({ url: topology.url });
      await client.connect();
      return client;
    }
    case 'cluster': {
      const cluster = createCluster({
        rootNodes: topology.nodes.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: topology.credentials,
      });
      await cluster.connect();
      return cluster;
    }
    case 'sentinel':
      throw new Error('openRedis: a Sentinel deployment is read through its master (REDIS_URL of the master)');
  }
}

/** The environment that points the app (loadConfig) or a CLI at the topology, as an operator would. */
export function redisTopologyEnv(topology: RedisTopology): Record<string, string> {
  const credentials = (c: { username?: string | undefined; password?: string | undefined }): Record<string, string> => ({
    ...(c.username ? { REDIS_USERNAME: c.username } : {}),
    ...(c.password ? { REDIS_PASSWORD: c.password } : {}),
  });
  const nodes = (list: { host: string; port: number }[]): string => list.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
  switch (topology.kind) {
    case 'single':
      return { REDIS_URL: topology.url };
    case 'cluster':
      return { REDIS_CLUSTER_NODES: nodes(topology.nodes), ...credentials(topology.credentials) };
    case 'sentinel':
      return { REDIS_SENTINELS: nodes(topology.sentinels), REDIS_SENTINEL_NAME: topology.masterName, ...credentials(topology.credentials) };
  }
}
