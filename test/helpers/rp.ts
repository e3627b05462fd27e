import * as oidc from 'openid-client';

/** The clients of test/fixtures/seed.json. */
export const CLIENTS = {
  web: { id: 'web', secret: 'web-secret-0123456789-abcdefghijkl', redirectUri: 'http://127.0.0.1:1/cb', postLogout: 'http://127.0.0.1:1/bye' },
  partner: { id: 'partner', secret: 'partner-secret-0123456789-abcdefgh', redirectUri: 'http://127.0.0.1:1/partner/cb', postLogout: undefined },
  spa: { id: 'spa', secret: undefined, redirectUri: 'http://127.0.0.1:1/spa/cb', postLogout: undefined },
} as const;
export type TestClient = (typeof CLIENTS)[keyof typeof CLIENTS];

/** openid-client as a real relying party: discovery over HTTP, then the client's own auth method. */
export function relyingParty(issuer: string, client: TestClient): Promise<oidc.Configuration> {
  const auth = client.secret === undefined ? oidc.None() : oidc.ClientSecretBasic(client.secret);
  return oidc.discovery(new URL(issuer), client.id, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

export interface AuthRequest {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export async function authorizationRequest(config: oidc.Configuration, client: TestClient, params: Record<string, string> = {}): Promise<AuthRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: client.redirectUri,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

export function exchangeCode(config: oidc.Configuration, callback: string, request: AuthRequest): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
  });
}

export { oidc };
