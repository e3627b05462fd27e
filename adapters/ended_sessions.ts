import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { OidcAccountIndex } from './oidc_account_index.ts';

/** The models that belong to one browser session of an account: the session, and what it issued. */
const SESSION_BOUND_MODELS: ReadonlySet<string> = new Set(['Session', 'AuthorizationCode', 'RefreshToken', 'AccessToken']);

type EndedSessions = Pick<OidcAccountIndex, 'sessionEnded'>;

/**
 * Ending every session of an account (an admin's MFA reset) destroys its sessions and revokes its
 * grants, but a request of that account still running meanwhile has its session loaded, and
 * oidc-provider saves the session again when the request ends: the session comes back, and with it
 * a new grant and new tokens. So the ended sessions are also recorded by uid (which a login's new
 * session id keeps), before they are destroyed (provider/sign_ins.ts), and this adapter answers
 * "not found" for such a session, and for every code and token issued in it, whenever it was saved.
 */
export function withEndedSessions(factory: AdapterFactory, ended: EndedSessions): AdapterFactory {
  return (name: string): Adapter => (SESSION_BOUND_MODELS.has(name) ? new EndedSessionsAdapter(name, factory(name), ended) : factory(name));
}

class EndedSessionsAdapter implements Adapter {
  readonly #name: string;
  readonly #inner: Adapter;
  readonly #ended: EndedSessions;

  constructor(name: string, inner: Adapter, ended: EndedSessions) {
    this.#name = name;
    this.#inner = inner;
    this.#ended = ended;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.#inner.upsert(id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#live((await this.#inner.find(id)) ?? undefined);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#live((await this.#inner.findByUid(uid)) ?? undefined);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#live((await this.#inner.findByUserCode(userCode)) ?? undefined);
  }

  async consume(id: string): Promise<void> {
    await this.#inner.consume(id);
  }

  async destroy(id: string): Promise<void> {
    await this.#inner.destroy(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#inner.revokeByGrantId(grantId);
  }

  async #live(payload: AdapterPayload | undefined): Promise<AdapterPayload | undefined> {
    if (!payload) return undefined;
    const { accountId } = payload;
    const sessionUid = this.#name === 'Session' ? payload.uid : payload.sessionUid;
    if (typeof accountId !== 'string' || typeof sessionUid !== 'string') return payload;
    return (await this.#ended.sessionEnded(accountId, sessionUid)) ? undefined : payload;
  }
}
