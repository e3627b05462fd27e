import { errors } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { Metrics } from '../lib/metrics.ts';

/**
 * The refusals that mean "this token or code was already used", after which the whole grant is
 * revoked: oidc-provider's own, for a token used once before (a stolen refresh token replayed after
 * its rotation), and the adapters' (adapters/oidc_single_use.ts), for the loser of a parallel use.
 */
const REUSE_DETAILS: ReadonlySet<string> = new Set(['refresh token already used', 'authorization code already consumed', 'grant was already used', 'authorization code was already used']);
const GRANT_TYPES: ReadonlySet<string> = new Set(['refresh_token', 'authorization_code']);

/** Counts each detected reuse at the token endpoint by grant type. */
export function countTokenReuse(provider: Provider, metrics: Pick<Metrics, 'tokenReuse'>): void {
  provider.on('grant.error', (ctx, err) => {
    if (!(err instanceof errors.InvalidGrant) || err.error_detail === undefined || !REUSE_DETAILS.has(err.error_detail)) return;
    const grantType = ctx.oidc.params?.['grant_type'];
    if (typeof grantType === 'string' && GRANT_TYPES.has(grantType)) metrics.tokenReuse.inc({ grant_type: grantType });
  });
}
