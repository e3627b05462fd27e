/**
 * Where the stores live: one Redis (REDIS_URL), a Redis Cluster (REDIS_CLUSTER_NODES, seed nodes; the
 * rest is discovered) or a master watched by Redis Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_NAME).
 */
export type RedisTopology =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: RedisNodeAddress[]; credentials: RedisCredentials }
  | { kind: 'sentinel'; sentinels: RedisNodeAddress[]; masterName: string; credentials: RedisCredentials };

export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** For the data nodes of a cluster or of a Sentinel deployment (REDIS_URL carries its own). */
export interface RedisCredentials {
  username?: string | undefined;
  password?: string | undefined;
}

/**
 * How many replicas must confirm the writes that must survive a failover (enrollment commits,
 * recovery-code use, MFA failure counts), and for how long the request waits for them.
 */
export interface ReplicaAckPolicy {
  replicas: number;
  timeoutMs: number;
}

export interface RedisTopologyEnv {
  REDIS_URL?: string | undefined;
  REDIS_CLUSTER_NODES?: string | undefined;
  REDIS_SENTINELS?: string | undefined;
  REDIS_SENTINEL_NAME?: string | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
}

/** Reads the topology; undefined means the in-memory stores. Throws an Error naming the variable at fault. */
export function redisTopology(env: RedisTopologyEnv): RedisTopology | undefined {
  const chosen = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((name) => env[name]);
  if (chosen.length > 1) throw new Error(`Set one of ${chosen.join(', ')}, not several: each names a whole Redis deployment.`);
  const credentials = { username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD };
  if (env.REDIS_SENTINEL_NAME && !env.REDIS_SENTINELS) throw new Error('REDIS_SENTINEL_NAME needs REDIS_SENTINELS.');
  if (env.REDIS_URL) return { kind: 'single', url: env.REDIS_URL };
  if (env.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: nodeList('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES), credentials };
  if (env.REDIS_SENTINELS) {
    if (!env.REDIS_SENTINEL_NAME) throw new Error('REDIS_SENTINELS needs REDIS_SENTINEL_NAME, the master name the sentinels monitor.');
    return { kind: 'sentinel', sentinels: nodeList('REDIS_SENTINELS', env.REDIS_SENTINELS), masterName: env.REDIS_SENTINEL_NAME, credentials };
  }
  return undefined;
}

/** `host:port,host:port`; an IPv6 host in brackets (`[::1]:7000`). */
function nodeList(variable: string, value: string): RedisNodeAddress[] {
  return value.split(',').map((item) => {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(item.trim());
    const port = Number(match?.[3]);
    const host = match?.[1] ?? match?.[2];
    if (!host || !(port > 0 && port < 65536)) throw new Error(`${variable}: "${item}" is not host:port.`);
    return { host, port };
  });
}

/** A single Redis has no replicas to wait for; a cluster or a Sentinel deployment waits for one by default. */
export function defaultReplicaAcks(topology: RedisTopology): number {
  return topology.kind === 'single' ? 0 : 1;
}
