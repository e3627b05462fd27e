import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config/keys.ts';

/**
 * AES-256-GCM for secrets that must be read back (TOTP seeds). The output names the key that
 * sealed it — `v1.<keyId>.<iv>.<ciphertext>.<tag>` — so keys can rotate: the first key seals,
 * any configured key opens. `context` (e.g. the user id) is bound as associated data, so a sealed
 * value copied onto another account does not open.
 */
export class SecretBox {
  readonly #keys: EncryptionKey[];
  readonly #current: EncryptionKey;

  constructor(keys: EncryptionKey[]) {
    const [current] = keys;
    if (!current) throw new Error('SecretBox needs at least one key');
    this.#keys = keys;
    this.#current = current;
  }

  seal(plaintext: string, context: string): string {
    const current = this.#current;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', current.id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** A key for another purpose (e.g. hashing SMS codes), derived from the current key with HKDF. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#current.key, Buffer.alloc(0), purpose, 32));
  }

  /** Throws if the value was not sealed by one of our keys for this context. */
  open(sealed: string, context: string): string {
    const [version, keyId, iv, ciphertext, tag] = sealed.split('.');
    const entry = this.#keys.find((k) => k.id === keyId);
    if (version !== 'v1' || !entry || !iv || ciphertext === undefined || !tag) throw new Error('sealed value not recognised');
    const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
