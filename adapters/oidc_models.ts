/**
 * Models whose records oidc-provider revokes by grant (`adapter.revokeByGrantId`): its tokens and
 * codes, as in oidc-provider's own memory adapter. Interactions and sessions also carry a grantId,
 * and the Grant is the grant itself: revoking a grant's tokens leaves them to oidc-provider.
 */
export const GRANT_BOUND_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);
