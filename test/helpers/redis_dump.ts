import type { RedisTopology } from '../../config/redis_topology.ts';
import { openRedis } from './redis_access.ts';

/** Every key under `prefix` with its value as text, whatever its type: for "is this secret stored anywhere?" checks. */
export async function redisDump(topology: RedisTopology, prefix: string): Promise<string> {
  const client = await openRedis(topology);
  try {
    const parts: string[] = [];
    for (const key of await client.keys(`${prefix}*`)) {
      const type = await client.type(key);
      const value =
        type === 'string' ? await client.get(key)
        : type === 'hash' ? await client.hGetAll(key)
        : type === 'set' ? await client.sMembers(key)
        : type === 'zset' ? await client.zRange(key, 0, -1)
        : type === 'list' ? await client.lRange(key, 0, -1)
        : type === 'stream' ? await client.xRange(key, '-', '+')
        : `(${type})`;
      parts.push(`${key} ${JSON.stringify(value)}`);
    }
    return parts.join('\n');
  } finally {
    await client.close();
  }
}
