import type { Company, Membership, User } from '../directory/types.ts';
import type { Federation } from '../mfa/policy.ts';
import { companyAccess } from './permissions.ts';

/** Why an admin may not reset a user's MFA: one code per rule of reset-mfa-for-a-user.txt. */
export const RESET_REFUSALS = ['not_permitted', 'mfa_not_enforced', 'not_in_directory', 'own_account', 'managed_by_idp', 'procore_pay', 'identity_not_verified'] as const;
export type ResetRefusal = (typeof RESET_REFUSALS)[number];

/** What each refusal tells the admin. The API returns the same text as `message`. */
export const RESET_REFUSAL_MESSAGES: Record<ResetRefusal, string> = {
  not_permitted: "Resetting MFA needs 'Admin' permissions on both the Company Admin and Directory tools.",
  mfa_not_enforced: 'MFA can only be reset when your company requires MFA (turn on Require MFA first).',
  // Said the same way whether the address is unknown or belongs to another company's user.
  not_in_directory: 'No user with this email address is in your Company Directory. Enter the address exactly as it is listed there.',
  own_account: 'You cannot reset your own MFA. Contact another user with Company Admin permissions to reset it for you.',
  managed_by_idp: "MFA for this user is managed by your company's identity provider: contact your IT department.",
  procore_pay: 'Procore Pay users must contact Procore Pay Support to reset MFA.',
  identity_not_verified: "Confirm that you have verified the user's request to reset MFA.",
};

export interface ResetAdmin {
  userId: string;
  /** The admin's membership in the company whose console they use. */
  membership: Membership | undefined;
}

/** The user the email found, with every membership and their federation; undefined when none was found. */
export interface ResetTarget {
  user: User;
  memberships: readonly Membership[];
  /** From the MFA policy (mfa/policy.ts federationOf). */
  federation: Federation | undefined;
}

export type ResetVerdict = { ok: true } | { ok: false; reason: ResetRefusal };

/**
 * Is `typed` the directory's address `listed` (stored in NFC), forgiving only case and surrounding
 * spaces? Lower-casing alone would forgive lookalikes too: KELVIN SIGN (U+212A) lower-cases to an
 * ASCII "k", ANGSTROM SIGN to "å". Those are not in NFC, and neither is another normalization form
 * of the address, so what was typed must already be in NFC. A U-label typed for an A-label domain
 * (or back) is another string, and fails as well.
 */
export function typedAsListed(typed: string, listed: string): boolean {
  const address = typed.trim();
  return address === address.normalize('NFC') && address.toLowerCase() === listed.toLowerCase();
}

/**
 * May this admin reset this user's MFA in this company? Pure; the rules in the order the support
 * article gives them:
 * - the admin has `admin` on both Company Admin and Directory in this company;
 * - the company enforces MFA ("Require MFA" on, whatever the deadline);
 * - the user is an active member of this company's directory (another company's user is "not in
 *   the directory", in the same words as an unknown address);
 * - not the admin's own account;
 * - not an account whose MFA the company's IdP runs (SSO with `mfa: "idp"`);
 * - not a Procore Pay user (a Pay role in any active membership): Pay support resets those;
 * - the admin ticked "I have verified the user's request to reset MFA".
 */
export function mayResetMfa(admin: ResetAdmin, target: ResetTarget | undefined, company: Company, request: { identityVerified: boolean }): ResetVerdict {
  if (companyAccess(admin.membership) !== 'manage') return refuse('not_permitted');
  if (!company.mfa.required) return refuse('mfa_not_enforced');
  const inDirectory = target?.memberships.some((m) => m.companyId === company.id && m.status === 'active');
  if (!target || !inDirectory) return refuse('not_in_directory');
  if (target.user.id === admin.userId) return refuse('own_account');
  if (target.federation?.mode === 'idp') return refuse('managed_by_idp');
  if (target.memberships.some((m) => m.status === 'active' && m.payRoles.length > 0)) return refuse('procore_pay');
  if (!request.identityVerified) return refuse('identity_not_verified');
  return { ok: true };
}

function refuse(reason: ResetRefusal): ResetVerdict {
  return { ok: false, reason };
}
