import type { EmailAddress } from './email_address.ts';
import type { DirectoryStore } from './store.ts';
import type { Company, SsoConnection } from './types.ts';

/** A company whose SSO connection is set. */
export type SsoCompany = Company & { sso: SsoConnection };

/** Where an email address logs in: by password, or at its company's IdP. */
export type LoginRoute = { method: 'password' } | { method: 'sso'; company: SsoCompany };

/**
 * Decides how the email entered on the first screen logs in. A domain that a company's SSO connection
 * claims goes to that IdP, whether or not the account exists here (the IdP decides, and JIT may
 * create it); every other email gets the password route, known or not, so the first screen never
 * reveals whether an account exists. Routing compares `email.asciiDomain` with a company's
 * `emailDomains`, both in IDNA ASCII form, so `bücher.example` and `xn--bcher-kva.example` route alike.
 */
export async function loginRouteFor(directory: DirectoryStore, email: EmailAddress): Promise<LoginRoute> {
  const company = await directory.ssoCompanyForDomain(email.asciiDomain);
  return company && isSsoCompany(company) ? { method: 'sso', company } : { method: 'password' };
}

export function isSsoCompany(company: Company): company is SsoCompany {
  return company.sso !== null;
}

