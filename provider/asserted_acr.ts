import { errors, type default as Provider } from 'oidc-provider';
import { acrClaimFromParam, acrToAssert } from '../mfa/gate.ts';

type OidcContext = InstanceType<Provider['OIDCContext']>;

/**
 * The `acr` an authorization code (and so its ID tokens, refreshed ones included) carries: one of the
 * values an essential acr request accepts (OIDC Core 5.5.1.1), rather than the session's class as is.
 * An MFA session asked for the single-factor acr answers with it; the session itself keeps its class.
 *
 * oidc-provider has no hook for this: the code takes `ctx.oidc.acr`, a getter returning the session's
 * acr, read only where a code or ID token is issued. So that getter is redefined on this provider's
 * own context class (`provider.OIDCContext`, one per provider instance).
 *
 * The request is read from the raw `claims` parameter, as the gate reads it: oidc-provider replaces
 * the parsed acr request with a voluntary one when `acr_values` is also sent.
 */
export function assertRequestedAcr(provider: Provider): void {
  Object.defineProperty(provider.OIDCContext.prototype, 'acr', {
    configurable: true,
    get(this: OidcContext): string | undefined {
      const assertion = acrToAssert(this.session?.acr, acrClaimFromParam(this.params?.['claims']));
      // Unreachable while the gate enforces step-up; a failed authentication rather than a wrong acr.
      if ('unmet' in assertion) throw new errors.UnmetAuthenticationRequirements('the requested acr could not be obtained');
      return assertion.acr;
    },
  });
}
