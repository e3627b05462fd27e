import { errors, type ClientMetadata, type Configuration, type FindAccount, type AdapterFactory, type KoaContextWithOIDC } from 'oidc-provider';
import { acrClaimProblem, essentialAcrUnmet } from '../mfa/gate.ts';
import { ACR } from '../mfa/assurance.ts';
import { CLIENT_AUTH_METHODS, FIRST_PARTY, isFirstParty, pkceRequired, REQUIRE_PKCE } from './clients.ts';
import { loadExistingGrant } from './first_party_grant.ts';
import { outgoingFetch } from './outgoing_fetch.ts';
import { SCOPES } from './scopes.ts';
import { tokenAuthContext } from './token_auth_context.ts';
import type { SigningJwks } from '../config/keys.ts';
import { interactionPrompts, type MfaDecisionForRequest } from './interaction_policy.ts';
import { refreshTokenTtl, type RefreshLifetime } from './refresh_lifetime.ts';
import type { RefreshRefusal } from './refresh_policy.ts';

export interface ProviderSettings {
  adapter: AdapterFactory;
  findAccount: FindAccount;
  cookieKeys: string[];
  signingKeys: SigningJwks;
  sessionTtlSeconds: number;
  /** Clients known from configuration rather than storage (the demo app). */
  staticClients: ClientMetadata[];
  /** Which MFA steps a request still needs (the MFA module). */
  mfaDecision: MfaDecisionForRequest;
  /** oidc-provider's own HTML (error pages, logout), rendered by the web layer in our layout. */
  pages: { renderError: NonNullable<Configuration['renderError']>; logout: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']> };
  refreshLifetime: RefreshLifetime;
  /** Outside production, oidc-provider may fetch a client's jwks_uri from a loopback address. */
  allowLoopbackFetch: boolean;
  /** Why this account may no longer refresh a chain whose login had `amr`, if it may not. */
  refreshRefusal: (accountId: string, auth: { amr: readonly string[] | undefined }) => Promise<RefreshRefusal | undefined>;
}

const MINUTE = 60;

/**
 * The oidc-provider configuration, option by option. Anything not set here is oidc-provider's
 * default; the defaults that matter for security are set explicitly even when they agree.
 */
export function providerConfiguration(s: ProviderSettings): Configuration {
  return {
    adapter: s.adapter,
    findAccount: s.findAccount,
    clients: s.staticClients,
    jwks: s.signingKeys,
    fetch: outgoingFetch(s.allowLoopbackFetch),
    // The session cookie (the only long one) is SameSite=None so that a cross-site POST to /auth or
    // /session/end carries it (enableHttpPostMethods); over plain HTTP it falls back to Lax
    // (ops/same_site_fallback.ts). The interaction and resume cookies stay Lax: the interaction forms
    // rely on it instead of a CSRF token. Reasoning in docs/decisions.md.
    cookies: {
      keys: s.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'none' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    // OIDC Core 3.1.2.1 and RP-Initiated Logout 2: /auth and /session/end accept POST as well as GET.
    enableHttpPostMethods: true,
    // OIDC Core makes redirect_uri REQUIRED, at /auth and /token, even for a client with one registered.
    allowOmittingSingleRegisteredRedirectUri: false,

    // Every client uses the authorization code flow with PKCE S256; there is no implicit or hybrid flow.
    // A confidential client registered with `require_pkce: false` may leave PKCE out (a legacy switch).
    responseTypes: ['code'],
    pkce: { required: (_ctx, client) => pkceRequired(client) },
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    extraClientMetadata: {
      properties: [FIRST_PARTY, REQUIRE_PKCE],
      validator(_ctx, key, value) {
        if ((key === FIRST_PARTY || key === REQUIRE_PKCE) && value !== undefined && typeof value !== 'boolean') {
          throw new Error(`${key} must be a boolean`);
        }
      },
    },

    scopes: [...SCOPES],
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    acrValues: [ACR.singleFactor, ACR.multiFactor],

    features: {
      devInteractions: { enabled: false },
      claimsParameter: {
        enabled: true,
        // oidc-provider checks the parameter's outer shape only; a malformed acr request is the
        // client's error (invalid_request), never a crash in the MFA gate.
        assertClaimsParameter(_ctx, claims) {
          const problem = acrClaimProblem(claims);
          if (problem) throw new errors.InvalidRequest(problem);
          // OIDC Core 5.5.1.1: an essential acr none of ours can meet fails before anyone logs in.
          if (essentialAcrUnmet(claims.id_token?.acr)) throw new errors.UnmetAuthenticationRequirements('none of the requested acr values is supported');
        },
      },
      introspection: {
        enabled: true,
        // Only confidential clients, and only about their own tokens.
        allowedPolicy: (_ctx, client, token) => client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // Every client, public ones included, may revoke its own tokens (RFC 7009 §5): a public app
        // signing out must be able to end its refresh token. Another client's token is left alone.
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      // No resource servers are registered yet: access tokens are opaque and serve userinfo.
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: s.pages.logout,
    },

    // Refresh tokens rotate on every use; the old one is consumed, and reusing it revokes the grant.
    // oidc-provider calls this on every refresh, once the token, its grant and its account are loaded
    // and before the token is consumed: the place to refuse a refresh whose account has changed since
    // (findAccount already refuses a disabled one). A refusal leaves the token unspent.
    rotateRefreshToken: async (ctx) => {
      const token = ctx.oidc.entities.RefreshToken;
      const refusal = token ? await s.refreshRefusal(token.accountId, { amr: token.amr }) : undefined;
      if (refusal) throw new errors.InvalidGrant(`refresh refused: ${refusal}`);
      // OIDC Core 12.2: a refreshed ID token SHOULD NOT carry the nonce. oidc-provider builds the rotated
      // token from this one right after this hook, and the ID token from the rotated one, so the nonce
      // dropped here (in memory only: consuming does not re-save) is in neither.
      if (token) token.nonce = undefined;
      return true;
    },
    loadExistingGrant,
    // The admin API needs to know how the user authenticated (acr, auth_time) from the access token.
    extraTokenClaims: (ctx) => tokenAuthContext(ctx),
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || isFirstParty(client.metadata())),

    ttl: {
      AccessToken: 90 * MINUTE,
      AuthorizationCode: 10 * MINUTE,
      Interaction: 15 * MINUTE,
      Session: s.sessionTtlSeconds,
      // A grant outlives every token issued under it: the session, and the longest refresh chain.
      Grant: Math.max(s.sessionTtlSeconds, s.refreshLifetime.absoluteSeconds),
      IdToken: 60 * MINUTE,
      // The idle lifetime, but never past the chain's absolute end: `iiat` is the chain's first issue
      // and a rotated token inherits it, so rotating never extends the chain.
      RefreshToken: (_ctx, token) => {
        // oidc-provider's own clock (epochTime), which also set `iiat`.
        const now = Math.floor(Date.now() / 1000);
        return refreshTokenTtl(s.refreshLifetime, token.iiat ?? now, now);
      },
      ClientCredentials: 10 * MINUTE,
      DeviceCode: 10 * MINUTE,
      BackchannelAuthenticationRequest: 10 * MINUTE,
    },

    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPrompts(s.mfaDecision),
    },
    renderError: s.pages.renderError,
  };
}
