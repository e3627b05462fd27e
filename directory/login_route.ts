/** Where an email address logs in. The SSO issue adds `{ method: 'sso', ... }` for federated domains. */
export type LoginRoute = { method: 'password' };

/**
 * Decides how the email entered on the first screen logs in. It is the one seam for federation:
 * unknown emails get the password route too, so the first screen never reveals whether an account exists.
 */
export function loginRouteFor(_email: string): LoginRoute {
  return { method: 'password' };
}
