import { generateURI } from 'otplib';

/**
 * The `otpauth://` label grammar (`issuer:account`) forbids ':' inside either part, and otplib
 * does not escape it, so we remove it. Authenticator apps ignore algorithm, digits and period, so
 * the URI carries only the defaults they assume.
 */
export function sanitizeTotpIssuer(issuer: string): string {
  return issuer.replaceAll(':', '').trim();
}

export function totpUri(issuer: string, accountName: string, secret: string): string {
  const cleanIssuer = sanitizeTotpIssuer(issuer);
  // otplib writes the label as `issuer:label` itself.
  return generateURI({ issuer: cleanIssuer, label: accountName.replaceAll(':', ''), secret });
}

/** The setup key in groups of four, as people type it into desktop authenticators. */
export function groupSetupKey(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}
