import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { systemClock, type Clock } from '../../lib/clock.ts';
import { ACCOUNT_INDEXED_MODELS, type OidcAccountIndex } from '../oidc_account_index.ts';
import { GRANT_BOUND_MODELS } from '../oidc_models.ts';
import { AlreadyRecorded, alreadyConsumed, INSERT_ONLY_MODELS } from '../oidc_single_use.ts';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/** The keys of a grant's tokens, for `revokeByGrantId`. */
interface GrantIndex {
  keys: Set<string>;
  expiresAt: number | undefined;
}

/** Ids saved for one account and model, each with the expiry of its latest save (undefined: never). */
type AccountIndex = Map<string, number | undefined>;

/**
 * oidc-provider's storage in process memory, for development and tests. The clock is injected so
 * that tests can expire interactions and codes without sleeping. One `MemoryOidcStorage` is one
 * "database": two apps given the same instance share state, like two instances sharing Redis.
 */
export class MemoryOidcStorage implements OidcAccountIndex {
  readonly entries = new Map<string, Entry>();
  readonly grants = new Map<string, GrantIndex>();
  /** By `<Model>:<accountId>`: the sessions and grants of each account (see OidcAccountIndex). */
  readonly accounts = new Map<string, AccountIndex>();
  /** By accountId: the uids of its ended sessions, each with the expiry of its mark (OidcAccountIndex). */
  readonly endedSessions = new Map<string, Map<string, number>>();
  readonly clock: Clock;

  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  grantIndex(grantId: string): GrantIndex | undefined {
    const index = this.grants.get(grantId);
    if (index?.expiresAt !== undefined && index.expiresAt <= this.clock()) {
      this.grants.delete(grantId);
      return undefined;
    }
    return index;
  }

  /** Records `id` under its account, dropping the account's entries that have expired meanwhile. */
  indexByAccount(model: string, accountId: string, id: string, expiresAt: number | undefined): void {
    const key = `${model}:${accountId}`;
    const index = this.#liveAccountIndex(key) ?? new Map<string, number | undefined>();
    this.accounts.set(key, index.set(id, expiresAt));
  }

  sessionIdsOf(accountId: string): Promise<string[]> {
    return Promise.resolve([...(this.#liveAccountIndex(`Session:${accountId}`)?.keys() ?? [])]);
  }

  grantIdsOf(accountId: string): Promise<string[]> {
    return Promise.resolve([...(this.#liveAccountIndex(`Grant:${accountId}`)?.keys() ?? [])]);
  }

  endSessions(accountId: string, sessionUids: readonly string[], ttlSeconds: number): Promise<void> {
    const ended = this.endedSessions.get(accountId) ?? new Map<string, number>();
    const expiresAt = this.clock() + ttlSeconds * 1000;
    for (const uid of sessionUids) ended.set(uid, Math.max(expiresAt, ended.get(uid) ?? expiresAt));
    this.endedSessions.set(accountId, ended);
    return Promise.resolve();
  }

  sessionEnded(accountId: string, sessionUid: string): Promise<boolean> {
    const expiresAt = this.endedSessions.get(accountId)?.get(sessionUid);
    return Promise.resolve(expiresAt !== undefined && expiresAt > this.clock());
  }

  #liveAccountIndex(key: string): AccountIndex | undefined {
    const index = this.accounts.get(key);
    if (!index) return undefined;
    const now = this.clock();
    for (const [id, expiresAt] of index) if (expiresAt !== undefined && expiresAt <= now) index.delete(id);
    if (index.size > 0) return index;
    this.accounts.delete(key);
    return undefined;
  }

  adapterFactory(): AdapterFactory {
    return (name: string) => new MemoryOidcAdapter(name, this);
  }
}

class MemoryOidcAdapter implements Adapter {
  readonly #name: string;
  readonly #storage: MemoryOidcStorage;

  constructor(name: string, storage: MemoryOidcStorage) {
    this.#name = name;
    this.#storage = storage;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn ? this.#storage.clock() + expiresIn * 1000 : undefined;
    const { entries } = this.#storage;
    if (INSERT_ONLY_MODELS.has(this.#name) && this.#storage.get(this.#key(id))) return Promise.reject(new AlreadyRecorded(this.#name));
    entries.set(this.#key(id), { payload: structuredClone(payload), expiresAt });
    if (payload.grantId && GRANT_BOUND_MODELS.has(this.#name)) {
      const index = this.#storage.grantIndex(payload.grantId);
      // The index lives as long as its longest-lived token; a token without expiry keeps it forever.
      const indexExpiry =
        expiresAt === undefined || (index && index.expiresAt === undefined)
          ? undefined
          : Math.max(index?.expiresAt ?? 0, expiresAt);
      this.#storage.grants.set(payload.grantId, { keys: new Set(index?.keys).add(this.#key(id)), expiresAt: indexExpiry });
    }
    if (payload.accountId && ACCOUNT_INDEXED_MODELS.has(this.#name)) this.#storage.indexByAccount(this.#name, payload.accountId, id, expiresAt);
    if (payload.uid) entries.set(`${this.#name}:uid:${payload.uid}`, { payload: { id }, expiresAt });
    if (payload.userCode) entries.set(`${this.#name}:userCode:${payload.userCode}`, { payload: { id }, expiresAt });
    return Promise.resolve();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    const entry = this.#storage.get(this.#key(id));
    return Promise.resolve(entry ? structuredClone(entry.payload) : undefined);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(`${this.#name}:uid:${uid}`);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(`${this.#name}:userCode:${userCode}`);
  }

  /**
   * Check and mark in one synchronous step, so of parallel consumers exactly one wins. The others
   * (and a consume of a token revoked meanwhile) are refused; a reuse revokes the whole grant.
   */
  async consume(id: string): Promise<void> {
    const entry = this.#storage.get(this.#key(id));
    if (!entry) throw alreadyConsumed(this.#name, 'missing');
    if (entry.payload.consumed === undefined) {
      entry.payload.consumed = Math.floor(this.#storage.clock() / 1000);
      return;
    }
    const { grantId } = entry.payload;
    if (grantId) {
      await this.revokeByGrantId(grantId);
      // The grant goes too, so tokens the winner saves after this moment are dead on arrival.
      this.#storage.entries.delete(`Grant:${grantId}`);
    }
    throw alreadyConsumed(this.#name, 'reused');
  }

  destroy(id: string): Promise<void> {
    this.#storage.entries.delete(this.#key(id));
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.#storage.grantIndex(grantId)?.keys ?? []) this.#storage.entries.delete(key);
    this.#storage.grants.delete(grantId);
    return Promise.resolve();
  }

  #findByIndex(indexKey: string): Promise<AdapterPayload | undefined> {
    const id = this.#storage.get(indexKey)?.payload['id'];
    return typeof id === 'string' ? this.find(id) : Promise.resolve(undefined);
  }

  #key(id: string): string {
    return `${this.#name}:${id}`;
  }
}
