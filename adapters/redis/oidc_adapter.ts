import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { z } from 'zod';
import type { RedisClient } from './client.ts';
import { ACCOUNT_INDEXED_MODELS, type OidcAccountIndex } from '../oidc_account_index.ts';
import { GRANT_BOUND_MODELS } from '../oidc_models.ts';
import { AlreadyRecorded, alreadyConsumed, INSERT_ONLY_MODELS } from '../oidc_single_use.ts';
import { oidcPayload, parseJsonRecord, parseRecord } from '../records.ts';

/**
 * Marks a model consumed, atomically, and only once: `SET … NX` on the marker tells the first
 * consumer from the others. The marker gets the model's remaining TTL, so a consume on an expired
 * id never creates a key without a TTL. Replies {'ok'}, {'missing'}, or {'reused', payload} (the
 * payload names the grant to revoke).
 */
const CONSUME = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return {'missing'} end
local set
if ttl == -1 then set = redis.call('SET', KEYS[2], ARGV[1], 'NX') else set = redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl, 'NX') end
if set then return {'ok'} end
return {'reused', redis.call('GET', KEYS[1])}`;

/** The payload is absent from a 'reused' reply when the model expired meanwhile (Lua ends the table at nil). */
const consumeReply = z.tuple([z.enum(['ok', 'missing', 'reused']), z.string().optional()]);

/**
 * Records a session or grant id under its account (a sorted set scored by expiry, epoch seconds),
 * drops the ids that have expired, and keeps the set as long as its longest-lived id. Redis's own
 * clock, so that instances with drifting clocks agree with the TTLs of the records themselves.
 * ARGV: id, expiresIn seconds ('' for never).
 */
const INDEX_BY_ACCOUNT = `
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local expires = '+inf'
if ARGV[2] ~= '' then expires = now + tonumber(ARGV[2]) end
redis.call('ZADD', KEYS[1], expires, ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
if last == 'inf' then redis.call('PERSIST', KEYS[1]) else redis.call('EXPIREAT', KEYS[1], last) end
return 1`;

/**
 * Adds session uids (ARGV) to an account's set of ended sessions, and keeps the set for ARGV[1]
 * seconds at least (an expiry is only ever extended, so an earlier mark is never cut short).
 */
const END_SESSIONS = `
for i = 2, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1`;

/** The ids of an account's index that have not expired yet, by Redis's clock. */
const LIVE_IDS = `return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. redis.call('TIME')[1], '+inf')`;

const idsReply = z.array(z.string());

/** Models oidc-provider consumes (single use): only these can carry a consumed marker. */
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PushedAuthorizationRequest', 'PreAuthorizedCode']);

/**
 * oidc-provider's storage in Redis. A model and its consumed marker share a hash tag, so MGET, DEL
 * and the consume script stay within one cluster slot; nothing else spans keys:
 *   {prefix}oidc:<Model>:{<id>}            JSON payload, TTL = expiresIn
 *   {prefix}oidc:<Model>:{<id>}:consumed   epoch seconds, same TTL
 *   {prefix}oidc:<Model>:uid:<uid>         id  (sessions by uid)
 *   {prefix}oidc:<Model>:userCode:<code>   id  (device flow)
 *   {prefix}oidc:grant:<grantId>           SET of model keys, for grant-wide revocation
 *   {prefix}oidc:account:{<accountId>}:<Model>   ZSET of Session / Grant ids by expiry (OidcAccountIndex)
 *   {prefix}oidc:account:{<accountId>}:ended-sessions  SET of the uids of its ended sessions (OidcAccountIndex)
 * Writes are plain commands (pipelined by node-redis), not scripts, as a login makes many of them;
 * the account index is the exception, one script per save of a session or grant.
 */
export function redisOidcAdapterFactory(redis: RedisClient, prefix: string): AdapterFactory {
  const indexed = new IndexedRecently();
  return (name: string) => new RedisOidcAdapter(redis, `${prefix}oidc:`, name, indexed);
}

/**
 * What this process has put in the account index lately: a session is saved on most requests of a
 * sign-in, with the same account and expiry, and indexing it again would change nothing. Only a new
 * id, another account or a later expiry runs the script. Bounded: when full it starts afresh, which
 * costs one script per record, never correctness (indexing is idempotent).
 */
class IndexedRecently {
  static readonly MAX = 50_000;
  readonly #entries = new Map<string, { accountId: string; expiresAt: number }>();

  /** True when the record must be (re)indexed; remembers it as indexed. */
  needs(model: string, id: string, accountId: string, expiresIn: number | undefined): boolean {
    const key = `${model}:${id}`;
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    const known = this.#entries.get(key);
    // A second of slack: the same expiry computed a moment later is the same expiry.
    if (known?.accountId === accountId && expiresAt <= known.expiresAt + 1000) return false;
    if (this.#entries.size >= IndexedRecently.MAX) this.#entries.clear();
    this.#entries.set(key, { accountId, expiresAt });
    return true;
  }

  forget(model: string, id: string): void {
    this.#entries.delete(`${model}:${id}`);
  }
}

/** The sessions and grants of each account, as the adapters above record them. */
export class RedisOidcAccountIndex implements OidcAccountIndex {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}oidc:`;
  }

  sessionIdsOf(accountId: string): Promise<string[]> {
    return this.#liveIds('Session', accountId);
  }

  grantIdsOf(accountId: string): Promise<string[]> {
    return this.#liveIds('Grant', accountId);
  }

  async endSessions(accountId: string, sessionUids: readonly string[], ttlSeconds: number): Promise<void> {
    if (sessionUids.length === 0) return;
    await this.#redis.eval(END_SESSIONS, { keys: [endedSessionsKey(this.#prefix, accountId)], arguments: [String(Math.max(1, Math.ceil(ttlSeconds))), ...sessionUids] });
  }

  async sessionEnded(accountId: string, sessionUid: string): Promise<boolean> {
    return (await this.#redis.sIsMember(endedSessionsKey(this.#prefix, accountId), sessionUid)) === 1;
  }

  async #liveIds(model: string, accountId: string): Promise<string[]> {
    const reply = await this.#redis.eval(LIVE_IDS, { keys: [accountIndexKey(this.#prefix, model, accountId)] });
    return parseRecord(idsReply, reply, `oidc ${model} account index`);
  }
}

/** The uids of the account's ended sessions (OidcAccountIndex.endSessions), in the account's slot. */
function endedSessionsKey(oidcPrefix: string, accountId: string): string {
  return `${oidcPrefix}account:{${accountId}}:ended-sessions`;
}

/** One account's index of one model; the account id is the hash tag, so its indexes share a slot. */
function accountIndexKey(oidcPrefix: string, model: string, accountId: string): string {
  return `${oidcPrefix}account:{${accountId}}:${model}`;
}

class RedisOidcAdapter implements Adapter {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #name: string;
  readonly #indexed: IndexedRecently;

  constructor(redis: RedisClient, prefix: string, name: string, indexed: IndexedRecently) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#name = name;
    this.#indexed = indexed;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    const expiry = expiresIn ? { expiration: { type: 'EX' as const, value: expiresIn } } : {};
    if (INSERT_ONLY_MODELS.has(this.#name)) {
      const written = await this.#redis.set(key, JSON.stringify(payload), { ...expiry, condition: 'NX' });
      if (written === null) throw new AlreadyRecorded(this.#name);
      return;
    }
    const writes: Promise<unknown>[] = [this.#redis.set(key, JSON.stringify(payload), expiry)];
    // An upsert replaces the model, so a consumed marker from before goes too.
    if (CONSUMABLE.has(this.#name)) writes.push(this.#redis.del(`${key}:consumed`));
    if (payload.grantId && GRANT_BOUND_MODELS.has(this.#name)) {
      const grantKey = `${this.#prefix}grant:${payload.grantId}`;
      writes.push(this.#redis.sAdd(grantKey, key));
      // The index lives as long as its longest-lived token: NX sets a first expiry, GT only extends it.
      if (expiresIn) writes.push(this.#redis.expire(grantKey, expiresIn, 'NX'), this.#redis.expire(grantKey, expiresIn, 'GT'));
      else writes.push(this.#redis.persist(grantKey));
    }
    if (payload.accountId && ACCOUNT_INDEXED_MODELS.has(this.#name) && this.#indexed.needs(this.#name, id, payload.accountId, expiresIn)) {
      const indexKey = accountIndexKey(this.#prefix, this.#name, payload.accountId);
      writes.push(this.#redis.eval(INDEX_BY_ACCOUNT, { keys: [indexKey], arguments: [id, expiresIn ? String(expiresIn) : ''] }));
    }
    if (payload.uid) writes.push(this.#redis.set(this.#indexKey('uid', payload.uid), id, expiry));
    if (payload.userCode) writes.push(this.#redis.set(this.#indexKey('userCode', payload.userCode), id, expiry));
    await Promise.all(writes);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#key(id);
    const [json, consumed] = CONSUMABLE.has(this.#name) ? await this.#redis.mGet([key, `${key}:consumed`]) : [await this.#redis.get(key)];
    if (json == null) return undefined;
    const payload = parseJsonRecord(oidcPayload, json, this.#kind);
    return consumed == null ? payload : { ...payload, consumed: Number(consumed) };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(this.#indexKey('uid', uid));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(this.#indexKey('userCode', userCode));
  }

  /** Of parallel consumers exactly one wins; the others are refused, and a reuse revokes the whole grant. */
  async consume(id: string): Promise<void> {
    const key = this.#key(id);
    const reply = await this.#redis.eval(CONSUME, { keys: [key, `${key}:consumed`], arguments: [String(Math.floor(Date.now() / 1000))] });
    const [outcome, json] = parseRecord(consumeReply, reply, `${this.#kind} consume reply`);
    if (outcome === 'ok') return;
    if (outcome === 'missing') throw alreadyConsumed(this.#name, 'missing');
    const { grantId } = json === undefined ? {} : parseJsonRecord(oidcPayload, json, this.#kind);
    if (grantId) {
      // The grant goes too, so tokens the winner saves after this moment are dead on arrival.
      await Promise.all([this.revokeByGrantId(grantId), this.#redis.del(`${this.#prefix}Grant:{${grantId}}`)]);
    }
    throw alreadyConsumed(this.#name, 'reused');
  }

  async destroy(id: string): Promise<void> {
    const key = this.#key(id);
    this.#indexed.forget(this.#name, id);
    await this.#redis.del([key, `${key}:consumed`]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = `${this.#prefix}grant:${grantId}`;
    const keys = await this.#redis.sMembers(grantKey);
    // One DEL per model: different models live in different cluster slots.
    await Promise.all([...keys.map((key) => this.#redis.del([key, `${key}:consumed`])), this.#redis.del(grantKey)]);
  }

  async #findByIndex(indexKey: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(indexKey);
    return id === null ? undefined : this.find(id);
  }

  #key(id: string): string {
    return `${this.#prefix}${this.#name}:{${id}}`;
  }

  /** What a corrupt record's error names: the model, not the key. */
  get #kind(): string {
    return `oidc ${this.#name}`;
  }

  #indexKey(kind: 'uid' | 'userCode', value: string): string {
    return `${this.#prefix}${this.#name}:${kind}:${value}`;
  }
}
