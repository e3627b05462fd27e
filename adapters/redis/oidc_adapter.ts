import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { RedisClient } from './client.ts';

/** Replaces a model: payload in a hash, so that `consume` can add a field without touching the TTL. */
const UPSERT = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'payload', ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1`;

/** Marks a model consumed, atomically, and only if it still exists: never creates a TTL-less key. */
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'consumed', ARGV[1])
return 1`;

/** Adds a token key to its grant's index and keeps the index alive as long as its longest token. */
const INDEX_GRANT = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl <= 0 then redis.call('PERSIST', KEYS[1]) return 1 end
local current = redis.call('TTL', KEYS[1])
if existed == 0 or (current ~= -1 and current < ttl) then redis.call('EXPIRE', KEYS[1], ttl) end
return 1`;

/**
 * oidc-provider's storage in Redis. Every command and script touches a single key, so the layout
 * works on Redis Cluster without hash tags:
 *   {prefix}oidc:<Model>:<id>             HASH payload (JSON), consumed (epoch seconds)
 *   {prefix}oidc:<Model>:uid:<uid>        id  (sessions by uid)
 *   {prefix}oidc:<Model>:userCode:<code>  id  (device flow)
 *   {prefix}oidc:grant:<grantId>          SET of model keys, for grant-wide revocation
 */
export function redisOidcAdapterFactory(redis: RedisClient, prefix: string): AdapterFactory {
  return (name: string) => new RedisOidcAdapter(redis, `${prefix}oidc:`, name);
}

class RedisOidcAdapter implements Adapter {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #name: string;

  constructor(redis: RedisClient, prefix: string, name: string) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#name = name;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    const ttl = String(expiresIn ?? 0);
    const writes: Promise<unknown>[] = [this.#redis.eval(UPSERT, { keys: [key], arguments: [JSON.stringify(payload), ttl] })];
    if (payload.grantId) {
      writes.push(this.#redis.eval(INDEX_GRANT, { keys: [this.#grantKey(payload.grantId)], arguments: [key, ttl] }));
    }
    if (payload.uid) writes.push(this.#setIndex(`uid:${payload.uid}`, id, expiresIn));
    if (payload.userCode) writes.push(this.#setIndex(`userCode:${payload.userCode}`, id, expiresIn));
    await Promise.all(writes);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const stored = await this.#redis.hGetAll(this.#key(id));
    const json = stored['payload'];
    if (json === undefined) return undefined;
    const payload = JSON.parse(json) as AdapterPayload;
    const consumed = stored['consumed'];
    return consumed === undefined ? payload : { ...payload, consumed: Number(consumed) };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(`uid:${uid}`);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(`userCode:${userCode}`);
  }

  async consume(id: string): Promise<void> {
    await this.#redis.eval(CONSUME, { keys: [this.#key(id)], arguments: [String(Math.floor(Date.now() / 1000))] });
  }

  async destroy(id: string): Promise<void> {
    await this.#redis.del(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = this.#grantKey(grantId);
    const keys = await this.#redis.sMembers(grantKey);
    // One DEL per key: the keys live in different cluster slots.
    await Promise.all([...keys.map((key) => this.#redis.del(key)), this.#redis.del(grantKey)]);
  }

  async #setIndex(suffix: string, id: string, expiresIn: number | undefined): Promise<void> {
    const key = this.#key(suffix);
    await (expiresIn ? this.#redis.set(key, id, { expiration: { type: 'EX', value: expiresIn } }) : this.#redis.set(key, id));
  }

  async #findByIndex(suffix: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(this.#key(suffix));
    return id === null ? undefined : this.find(id);
  }

  #key(id: string): string {
    return `${this.#prefix}${this.#name}:${id}`;
  }

  #grantKey(grantId: string): string {
    return `${this.#prefix}grant:${grantId}`;
  }
}
