import { AMR, FEDERATED_AMR } from '../mfa/assurance.ts';

/** What a refresh is checked against: how the chain authenticated, and the account's state now. */
export interface RefreshCheck {
  /**
   * The `amr` the refresh token carries from the session it was issued from: what the chain did. Not
   * its `acr`, which is what the app asked to be told (an MFA login asked for the single-factor acr
   * asserts that one; provider/asserted_acr.ts).
   */
  amr: readonly string[] | undefined;
  /** The MFA policy requires MFA of this account now (company setting, Pay role, enrollment). */
  mfaRequired: boolean;
  /** The account now logs in through its company's IdP (its email's domain has SSO). */
  federated: boolean;
  /** Epoch ms until which the account's MFA step is locked; 0 when not locked. */
  mfaLockedUntil: number;
  /** Epoch ms. */
  now: number;
}

export type RefreshRefusal = 'mfa_locked' | 'mfa_required' | 'sso_required';

/**
 * May a refresh token mint new tokens? A refresh re-issues the ID token with the chain's old `acr`,
 * so it must not outlast what a login would now demand: refused while the account's MFA step is
 * locked (someone is guessing codes), when MFA is required but the chain did not do it, and when the
 * account now logs in through its company's IdP but the chain did not.
 */
export function refreshRefusal(check: RefreshCheck): RefreshRefusal | undefined {
  if (check.mfaLockedUntil > check.now) return 'mfa_locked';
  if (check.mfaRequired && !(check.amr?.includes(AMR.multiFactor) ?? false)) return 'mfa_required';
  // A chain from a password login made before the company's SSO: a login now goes through the IdP.
  if (check.federated && !(check.amr?.includes(FEDERATED_AMR) ?? false)) return 'sso_required';
  return undefined;
}
