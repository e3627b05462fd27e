import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { manualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { assertSignedOut, confirmLogout, ERIN, loginWithPasswordAndTotp } from '../helpers/interop.ts';
import { CLIENTS } from '../helpers/rp.ts';

/** The test issuer is plain http on loopback; oauth4webapi refuses http unless told. Nothing else is set. */
const http = { [oauth.allowInsecureRequests]: true } as const;

/**
 * oauth4webapi as its README's "Authorization Code Flow" example: discovery, PKCE S256 and no state
 * or nonce (the example sends them only when PKCE is not advertised), client_secret_basic, and
 * `jose` to verify the ID token's signature against the provider's JWKS, which oauth4webapi leaves
 * to the application for a token fetched from the token endpoint.
 */
describe('interop: oauth4webapi and jose with their defaults', () => {
  let clock: ReturnType<typeof manualClock>;
  let running: RunningIdp;
  beforeEach(async () => {
    // The app's clock (TOTP, auth_time) reads now at the start of the test and stands still.
    clock = manualClock();
    running = await startIdp({ kind: 'memory' }, { clock });
  });
  afterEach(async () => {
    await running.close();
  });

  it('discovery → code + PKCE → password and TOTP → ID token → userinfo → refresh → logout', async () => {
    const { id, secret, redirectUri, postLogout } = CLIENTS.web;
    const issuer = new URL(running.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...http }));
    assert.ok(as.code_challenge_methods_supported?.includes('S256'), 'the README example relies on S256 being advertised');
    assert.ok(as.authorization_endpoint && as.end_session_endpoint && as.jwks_uri);
    const client: oauth.Client = { client_id: id };
    const clientAuth = oauth.ClientSecretBasic(secret);

    const codeVerifier = oauth.generateRandomCodeVerifier();
    const authorizationUrl = new URL(as.authorization_endpoint);
    authorizationUrl.searchParams.set('client_id', client.client_id);
    authorizationUrl.searchParams.set('redirect_uri', redirectUri);
    authorizationUrl.searchParams.set('response_type', 'code');
    authorizationUrl.searchParams.set('scope', 'openid email profile');
    authorizationUrl.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    authorizationUrl.searchParams.set('code_challenge_method', 'S256');

    const browser = new Browser(running.issuer);
    const callback = await loginWithPasswordAndTotp(browser, authorizationUrl, clock);

    // validateAuthResponse checks `iss` (RFC 9207, advertised in discovery) and that no state came back.
    const params = oauth.validateAuthResponse(as, client, new URL(callback));
    const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, codeVerifier, http);
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    assert.ok(claims && tokens.id_token);
    assert.equal(claims.sub, ERIN.sub);
    assert.equal(claims['acr'], ACR.multiFactor);
    assert.deepEqual(claims['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(claims['nonce'], undefined, 'no nonce was sent, none comes back');

    const jwks = createRemoteJWKSet(new URL(as.jwks_uri));
    const { payload } = await jwtVerify(tokens.id_token, jwks, { issuer: as.issuer, audience: id });
    assert.equal(payload.sub, ERIN.sub);

    const userinfo = await oauth.processUserInfoResponse(as, client, claims.sub, await oauth.userInfoRequest(as, client, tokens.access_token, http));
    assert.equal(userinfo.email, ERIN.email);
    assert.equal(userinfo.name, ERIN.name);

    assert.ok(tokens.refresh_token, 'a first-party client gets a refresh token');
    const refreshed = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token, http));
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'the refresh token rotates');
    assert.equal(oauth.getValidatedIdTokenClaims(refreshed)?.sub, ERIN.sub);
    const after = await oauth.processUserInfoResponse(as, client, ERIN.sub, await oauth.userInfoRequest(as, client, refreshed.access_token, http));
    assert.equal(after.sub, ERIN.sub);

    // RP-initiated logout: oauth4webapi has no helper for it; the app builds the URL from discovery.
    const endSession = new URL(as.end_session_endpoint);
    endSession.searchParams.set('id_token_hint', refreshed.id_token ?? tokens.id_token);
    endSession.searchParams.set('post_logout_redirect_uri', postLogout);
    assert.equal(await confirmLogout(browser, endSession), postLogout);
    await assertSignedOut(browser, authorizationUrl);
  });
});
