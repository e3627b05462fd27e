import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Clock } from '../lib/clock.ts';

/** How long a client read from the store is reused; a change made elsewhere shows after at most this. */
export const CLIENT_CACHE_MS = 5000;

/**
 * Registered clients change rarely (a seed import), but oidc-provider reads the client on nearly
 * every request: four to five store reads, and as many secret decryptions, per sign-in. Reads are
 * kept for CLIENT_CACHE_MS; a write or delete through this process forgets its copy at once, and
 * other instances see it within the same bound (docs/decisions.md). Kept as JSON, so a caller that
 * changes what it was given cannot change the next caller's copy. Absent clients are not cached: a
 * client registered elsewhere works at once.
 */
export function withCachedClients(factory: AdapterFactory, clock: Clock): AdapterFactory {
  return (name: string): Adapter => (name === 'Client' ? new CachedClientAdapter(factory(name), clock) : factory(name));
}

class CachedClientAdapter implements Adapter {
  readonly #inner: Adapter;
  readonly #clock: Clock;
  readonly #entries = new Map<string, { json: string; until: number }>();

  constructor(inner: Adapter, clock: Clock) {
    this.#inner = inner;
    this.#clock = clock;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const cached = this.#entries.get(id);
    if (cached && cached.until > this.#clock()) return JSON.parse(cached.json) as AdapterPayload;
    const payload = (await this.#inner.find(id)) ?? undefined;
    if (payload) this.#entries.set(id, { json: JSON.stringify(payload), until: this.#clock() + CLIENT_CACHE_MS });
    else this.#entries.delete(id);
    return payload;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    this.#entries.delete(id);
    await this.#inner.upsert(id, payload, expiresIn);
  }

  async destroy(id: string): Promise<void> {
    this.#entries.delete(id);
    await this.#inner.destroy(id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUid(uid)) ?? undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUserCode(userCode)) ?? undefined;
  }

  async consume(id: string): Promise<void> {
    await this.#inner.consume(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#inner.revokeByGrantId(grantId);
  }
}
