import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** A private JWK as oidc-provider accepts it; validated loosely here, strictly by oidc-provider. */
const PrivateJwk = z.looseObject({ kty: z.string(), kid: z.string().min(1), d: z.string().min(1) });
const Jwks = z.object({ keys: z.array(PrivateJwk).min(1) });
export type SigningJwks = { keys: Record<string, unknown>[] };

const MIN_COOKIE_KEY_LENGTH = 32;

/** `COOKIE_KEYS` is a comma-separated list, newest first: the first signs, all verify. */
export function parseCookieKeys(raw: string | undefined): string[] {
  if (!raw) return [randomBytes(32).toString('base64url')];
  const keys = raw.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) throw new Error('COOKIE_KEYS: no key given');
  if (keys.some((k) => k.length < MIN_COOKIE_KEY_LENGTH)) {
    throw new Error(`COOKIE_KEYS: every key must be at least ${MIN_COOKIE_KEY_LENGTH} characters`);
  }
  return keys;
}

/** `SIGNING_KEYS` is a private JWKS as JSON, newest first: oidc-provider signs with the first key of an algorithm. */
export function parseSigningKeys(raw: string | undefined): SigningJwks {
  if (!raw) return { keys: [generateSigningKey()] };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('SIGNING_KEYS: not valid JSON (expected {"keys":[…private JWKs…]})');
  }
  const parsed = Jwks.safeParse(json);
  if (!parsed.success) {
    throw new Error(`SIGNING_KEYS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function generateSigningKey(): Record<string, unknown> {
  // RS256 because it is the ID token algorithm every client supports by default (OIDC Core §15.1).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = `rs256-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
  return { ...jwk, kid, alg: 'RS256', use: 'sig' };
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** `MFA_ENCRYPTION_KEYS` is `id:base64key` pairs, comma-separated, newest first: the first encrypts, all decrypt. */
export function parseEncryptionKeys(raw: string | undefined): EncryptionKey[] {
  if (!raw) return [{ id: `ephemeral-${randomBytes(3).toString('hex')}`, key: randomBytes(32) }];
  return raw.split(',').map((entry, i) => {
    const [id, encoded] = entry.trim().split(':');
    if (!id || !encoded || !/^[\w-]{1,32}$/.test(id)) throw new Error(`MFA_ENCRYPTION_KEYS: entry ${i + 1} is not "id:base64key"`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32) throw new Error(`MFA_ENCRYPTION_KEYS: key "${id}" must be 32 bytes (base64), got ${key.length}`);
    return { id, key };
  });
}
