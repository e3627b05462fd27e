/** How long a refresh chain may live (Keycloak's "SSO Session Max" and "SSO Session Idle"). */
export interface RefreshLifetime {
  /** From the first authentication of the chain (`iiat`): no rotation extends it. */
  absoluteSeconds: number;
  /** Unused for this long, a refresh token expires; each rotation starts it again. */
  idleSeconds: number;
}

/**
 * The TTL of a refresh token issued at `now` (epoch seconds) in a chain first issued at
 * `firstIssuedAt`: the idle lifetime, but never past the chain's absolute end. At least 1, because
 * oidc-provider needs a positive TTL (a chain past its end is refused as expired before rotating).
 */
export function refreshTokenTtl(lifetime: RefreshLifetime, firstIssuedAt: number, now: number): number {
  const remaining = firstIssuedAt + lifetime.absoluteSeconds - now;
  return Math.max(1, Math.min(lifetime.idleSeconds, remaining));
}
