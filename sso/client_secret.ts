import type { SecretBox } from '../lib/secret_box.ts';

/**
 * A connection's client secret is sealed with the MFA encryption keys and bound to its company, so a
 * sealed value copied onto another company's connection does not open.
 */
const contextOf = (companyId: string): string => `sso-client-secret:${companyId}`;

export function sealClientSecret(box: SecretBox, companyId: string, secret: string): string {
  return box.seal(secret, contextOf(companyId));
}

export function openClientSecret(box: SecretBox, companyId: string, sealed: string): string {
  return box.open(sealed, contextOf(companyId));
}
