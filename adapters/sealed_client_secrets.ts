import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { SecretBox } from '../lib/secret_box.ts';

/** Where a stored client keeps its secret: sealed, never under oidc-provider's own field name. */
const SEALED = 'client_secret_sealed';

/**
 * Clients are stored with their secret encrypted (AES-GCM with the MFA key ring, bound to the
 * client id). `client_secret_basic` and `_post` compare the secret itself, so it cannot be hashed;
 * sealing keeps a copied Redis dump from handing out working credentials. The sealed value is stored
 * under its own name so that an unwrapped adapter sees a client without a secret, which fails closed.
 */
export function sealClientSecret(payload: AdapterPayload, box: SecretBox): AdapterPayload {
  const { client_secret: secret, ...rest } = payload;
  if (typeof secret !== 'string' || typeof rest.client_id !== 'string') return payload;
  return { ...rest, [SEALED]: box.seal(secret, contextOf(rest.client_id)) };
}

function openClientSecret(payload: AdapterPayload, box: SecretBox): AdapterPayload {
  const { [SEALED]: sealed, ...rest } = payload;
  if (typeof sealed !== 'string' || typeof rest.client_id !== 'string') return payload;
  try {
    return { ...rest, client_secret: box.open(sealed, contextOf(rest.client_id)) };
  } catch (cause) {
    // Our configuration's fault, not the client's: a 500 with this in the log, and nobody let in.
    throw new Error(`the secret of client "${rest.client_id}" was sealed with a key not in MFA_ENCRYPTION_KEYS: restore the key, or re-import the client`, { cause });
  }
}

function contextOf(clientId: string): string {
  return `client:${clientId}`;
}

/** The adapter factory oidc-provider uses: clients are sealed on write and opened on read. */
export function withSealedClientSecrets(factory: AdapterFactory, box: SecretBox): AdapterFactory {
  return (name: string): Adapter => (name === 'Client' ? new SealedClientAdapter(factory(name), box) : factory(name));
}

class SealedClientAdapter implements Adapter {
  readonly #inner: Adapter;
  readonly #box: SecretBox;

  constructor(inner: Adapter, box: SecretBox) {
    this.#inner = inner;
    this.#box = box;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.#inner.upsert(id, sealClientSecret(payload, this.#box), expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = await this.#inner.find(id);
    if (!payload) return undefined;
    // A client stored before secrets were sealed: seal it now, once, so no secret stays in the clear.
    if (typeof payload.client_secret === 'string') await this.#inner.upsert(id, sealClientSecret(payload, this.#box));
    return openClientSecret(payload, this.#box);
  }

  // Clients are found by id only; these pass through for completeness.
  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUserCode(userCode)) ?? undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.#inner.findByUid(uid)) ?? undefined;
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
}
