import type { ClientMetadata, Configuration, FindAccount, AdapterFactory, KoaContextWithOIDC } from 'oidc-provider';
import { ACR } from './acr.ts';
import { FIRST_PARTY, isFirstParty } from './clients.ts';
import { loadExistingGrant } from './first_party_grant.ts';
import { logoutPages, renderError } from './pages.ts';
import type { SigningJwks } from '../config/keys.ts';
import { interactionPrompts, type MfaStepsForRequest } from './interaction_policy.ts';

export interface ProviderSettings {
  adapter: AdapterFactory;
  findAccount: FindAccount;
  cookieKeys: string[];
  signingKeys: SigningJwks;
  sessionTtlSeconds: number;
  /** Clients known from configuration rather than storage (the demo app). */
  staticClients: ClientMetadata[];
  /** Which MFA steps a request still needs (the MFA module). */
  mfaStepsDue: MfaStepsForRequest;
}

const MINUTE = 60;
const DAY = 24 * 3600;

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
    cookies: {
      keys: s.cookieKeys,
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },

    // Every client uses the authorization code flow with PKCE S256; there is no implicit or hybrid flow.
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'none'],
    extraClientMetadata: {
      properties: [FIRST_PARTY],
      validator(_ctx, key, value) {
        if (key === FIRST_PARTY && value !== undefined && typeof value !== 'boolean') {
          throw new Error(`${FIRST_PARTY} must be a boolean`);
        }
      },
    },

    scopes: ['openid', 'offline_access', 'email', 'profile'],
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
    },
    acrValues: [ACR.singleFactor, ACR.multiFactor],

    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      introspection: {
        enabled: true,
        // Only confidential clients, and only about their own tokens.
        allowedPolicy: (_ctx, client, token) => client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => client.clientAuthMethod !== 'none' && token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      // No resource servers are registered yet: access tokens are opaque and serve userinfo.
      resourceIndicators: { enabled: false },
      rpInitiatedLogout: logoutPages,
    },

    // Refresh tokens rotate on every use; the old one is consumed, and reusing it revokes the grant.
    rotateRefreshToken: true,
    loadExistingGrant,
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || isFirstParty(client.metadata())),

    ttl: {
      AccessToken: 90 * MINUTE,
      AuthorizationCode: 10 * MINUTE,
      Interaction: 15 * MINUTE,
      Session: s.sessionTtlSeconds,
      Grant: s.sessionTtlSeconds > 30 * DAY ? s.sessionTtlSeconds : 30 * DAY,
      IdToken: 60 * MINUTE,
      RefreshToken: 30 * DAY,
      ClientCredentials: 10 * MINUTE,
      DeviceCode: 10 * MINUTE,
      BackchannelAuthenticationRequest: 10 * MINUTE,
    },

    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPrompts(s.mfaStepsDue),
    },
    renderError,
  };
}
