import type { Membership, User } from '../directory/types.ts';
import type { SsoFailureReason } from './failures.ts';

/** A directory account as the matching rules see it. */
export interface Candidate {
  user: User;
  memberships: Membership[];
}

export interface MatchInput {
  companyId: string;
  /** The account the upstream (issuer, sub) was linked to at an earlier login, if any. */
  linked: Candidate | undefined;
  upstream: { email: string | undefined; emailVerified: boolean };
  /** The upstream email's domain is one of the company's `emailDomains`. */
  emailInCompanyDomains: boolean;
  /** The account with the upstream email, looked up only when nothing is linked. */
  byEmail: Candidate | undefined;
  jit: boolean;
}

export type MatchOutcome =
  | { kind: 'existing'; user: User; link: boolean }
  | { kind: 'create' }
  | { kind: 'refuse'; reason: SsoFailureReason };

/**
 * Which account an upstream login is, decided once the candidates are loaded. Pure.
 * - Linked earlier by (connection, sub): that account, whatever the upstream email says now.
 * - Otherwise by email, only a verified one, only in the company's domains (its IdP speaks for those
 *   addresses alone), and only an active member of the company: never another company's user.
 * - Unknown: created when the connection allows it (JIT), else refused.
 */
export function matchAccount(input: MatchInput): MatchOutcome {
  if (input.linked) return admit(input.linked, input.companyId, false);
  if (input.upstream.email === undefined) return { kind: 'refuse', reason: 'email_missing' };
  if (!input.upstream.emailVerified) return { kind: 'refuse', reason: 'email_unverified' };
  if (!input.emailInCompanyDomains) return { kind: 'refuse', reason: 'other_company' };
  if (input.byEmail) return admit(input.byEmail, input.companyId, true);
  return input.jit ? { kind: 'create' } : { kind: 'refuse', reason: 'no_account' };
}

function admit(candidate: Candidate, companyId: string, link: boolean): MatchOutcome {
  if (!candidate.memberships.some((m) => m.companyId === companyId && m.status === 'active')) return { kind: 'refuse', reason: 'other_company' };
  if (candidate.user.status !== 'active') return { kind: 'refuse', reason: 'account_disabled' };
  return { kind: 'existing', user: candidate.user, link };
}
