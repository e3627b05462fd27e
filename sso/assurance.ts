import { ACR, AMR, FEDERATED_AMR } from '../mfa/assurance.ts';
import type { SsoMfaMode } from '../directory/types.ts';

/**
 * The RFC 8176 authentication method reference values, by the kind of factor each proves. Upstream
 * `amr` values are kept only if registered here: an IdP's private values mean nothing to our apps.
 */
const RFC8176_FACTOR: Record<string, 'knowledge' | 'possession' | 'inherence' | 'other'> = {
  pwd: 'knowledge',
  pin: 'knowledge',
  kba: 'knowledge',
  otp: 'possession',
  sms: 'possession',
  tel: 'possession',
  hwk: 'possession',
  swk: 'possession',
  sc: 'possession',
  pop: 'possession',
  face: 'inherence',
  fpt: 'inherence',
  iris: 'inherence',
  retina: 'inherence',
  vbm: 'inherence',
  user: 'other',
  geo: 'other',
  rba: 'other',
  wia: 'other',
  mca: 'other',
  mfa: 'other',
};


/** What the upstream ID token said about how the user authenticated there. */
export interface UpstreamAuthentication {
  amr: readonly string[];
  acr: string | undefined;
}

/** The upstream's registered `amr` values, in its order, without duplicates or unknown values. */
export function registeredAmr(amr: readonly string[]): string[] {
  return [...new Set(amr.filter((value) => Object.hasOwn(RFC8176_FACTOR, value)))];
}

/**
 * Did the upstream prove multi-factor authentication? It says so (`mfa`), or it lists factors of two
 * kinds (a password and an OTP; not a password and a PIN), or its `acr` is one the connection lists
 * as multi-factor.
 */
export function upstreamProvesMfa(upstream: UpstreamAuthentication, mfaAcrValues: readonly string[]): boolean {
  const amr = registeredAmr(upstream.amr);
  if (amr.includes(AMR.multiFactor)) return true;
  const kinds = new Set(amr.map((value) => RFC8176_FACTOR[value]).filter((kind) => kind !== 'other'));
  if (kinds.size >= 2) return true;
  return upstream.acr !== undefined && mfaAcrValues.includes(upstream.acr);
}

/**
 * The `amr` and `acr` of a login through a company's IdP. The multi-factor acr only when the IdP runs
 * MFA for this account (`mfa: "idp"`), proved it this time, and our own MFA does not apply anyway (a
 * Procore Pay role needs ours whatever the IdP did): then our MFA steps run and raise the acr.
 */
export function federatedAssurance(input: {
  mode: SsoMfaMode;
  upstream: UpstreamAuthentication;
  mfaAcrValues: readonly string[];
  /** The account has a Procore Pay role: our MFA is mandatory after any first factor. */
  payRole: boolean;
}): { amr: string[]; acr: string; upstreamMfa: boolean } {
  const upstreamMfa = upstreamProvesMfa(input.upstream, input.mfaAcrValues);
  const multiFactor = input.mode === 'idp' && upstreamMfa && !input.payRole;
  const amr = [FEDERATED_AMR, ...registeredAmr(input.upstream.amr).filter((value) => value !== FEDERATED_AMR)];
  // An MFA that counts says so in the amr too (two factor kinds, or an MFA acr, without "mfa").
  if (multiFactor && !amr.includes(AMR.multiFactor)) amr.push(AMR.multiFactor);
  return { amr, acr: multiFactor ? ACR.multiFactor : ACR.singleFactor, upstreamMfa };
}
