import type { EmailAddress } from './email_address.ts';

/** Where an email address logs in. The SSO issue adds `{ method: 'sso', ... }` for federated domains. */
export type LoginRoute = { method: 'password' };

/**
 * Decides how the email entered on the first screen logs in. It is the one seam for federation:
 * unknown emails get the password route too, so the first screen never reveals whether an account exists.
 * Routing compares `email.asciiDomain` with a company's `emailDomains`, both in IDNA ASCII form, so
 * `bücher.example` and `xn--bcher-kva.example` route alike however either was written.
 */
export function loginRouteFor(_email: EmailAddress): LoginRoute {
  return { method: 'password' };
}
