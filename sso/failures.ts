/**
 * Why an SSO login did not log anyone in. Each is recorded (`sso.login_failed`, with the reason) and
 * shown as a page; none is a 5xx but `upstream_unavailable`, which is the IdP's outage (503).
 */
export const SSO_FAILURE_REASONS = [
  /** The IdP's discovery, keys or token endpoint could not be reached, or answered 5xx. */
  'upstream_unavailable',
  /** The IdP sent the user back with an `error` (cancelled, or refused there). */
  'upstream_error',
  /** A callback without a sign-in waiting for it: no state, an expired one, or an unknown one. */
  'state_missing',
  /** The state does not match the one this browser's sign-in sent (tampered, or another tab's). */
  'state_mismatch',
  /** The callback of a sign-in that has already used it. */
  'replayed_state',
  'nonce_mismatch',
  'wrong_audience',
  'wrong_issuer',
  'expired_id_token',
  'invalid_id_token',
  /** Any other malformed answer (no ID token, a bad signature, an unexpected error from the library). */
  'invalid_response',
  /** The token endpoint refused the code (already used, expired, or the client's credentials). */
  'token_refused',
  /** We asked the IdP to authenticate again (prompt=login) and its auth_time says it did not. */
  'stale_authentication',
  'email_missing',
  'email_unverified',
  /** The verified email is not in the company's domains, or its account is not the company's member. */
  'other_company',
  /** No account for the upstream user, and the connection does not create one (JIT off). */
  'no_account',
  'account_disabled',
  /** The relying app asked for MFA, only the IdP can give it, and it did not (unmet_authentication_requirements). */
  'mfa_not_proven',
] as const;
export type SsoFailureReason = (typeof SSO_FAILURE_REASONS)[number];
