import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * What an access token records of the authentication behind it: its `acr` and `auth_time`, from
 * the authorization code or refresh token being exchanged. The admin API (RFC 9470 step-up) reads
 * them; introspection shows them. Access tokens issued elsewhere (none today) carry nothing.
 */
export function tokenAuthContext(ctx: KoaContextWithOIDC): Record<string, string | number> | undefined {
  const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
  if (!source) return undefined;
  return {
    ...(typeof source.acr === 'string' ? { acr: source.acr } : {}),
    ...(typeof source.authTime === 'number' ? { auth_time: source.authTime } : {}),
  };
}
