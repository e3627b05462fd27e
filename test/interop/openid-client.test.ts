import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { manualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { assertSignedOut, confirmLogout, ERIN, loginWithPasswordAndTotp } from '../helpers/interop.ts';
import { CLIENTS } from '../helpers/rp.ts';

/**
 * openid-client as its README shows it, with only what every app sets: the issuer, the client id and
 * secret, the redirect URI. Given a bare secret, openid-client 6 sends it in the body
 * (client_secret_post) although `web` is registered with client_secret_basic: oidc-provider accepts
 * either secret method for a secret client. `allowInsecureRequests` is there only because the test
 * issuer is plain http on loopback.
 */
describe('interop: openid-client with its defaults', () => {
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
    const config = await client.discovery(new URL(running.issuer), id, secret, undefined, { execute: [client.allowInsecureRequests] });
    assert.ok(config.serverMetadata().supportsPKCE(), 'the README sends a state only when PKCE is not advertised');

    const codeVerifier = client.randomPKCECodeVerifier();
    const parameters = {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    };
    const browser = new Browser(running.issuer);
    const callback = await loginWithPasswordAndTotp(browser, client.buildAuthorizationUrl(config, parameters), clock);

    // The library checks the response's iss, then the ID token: signature, iss, aud, exp, iat.
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: codeVerifier });
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.sub, ERIN.sub);
    assert.equal(claims['acr'], ACR.multiFactor);
    assert.deepEqual(claims['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(typeof claims.auth_time, 'number');

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(userinfo.email, ERIN.email);
    assert.equal(userinfo.name, ERIN.name);

    assert.ok(tokens.refresh_token, 'a first-party client gets a refresh token');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'the refresh token rotates');
    assert.equal(refreshed.claims()?.sub, ERIN.sub);
    assert.equal(refreshed.claims()?.['acr'], ACR.multiFactor, 'a refresh keeps how the user authenticated');
    assert.equal(refreshed.claims()?.auth_time, claims.auth_time, 'and when');
    assert.equal((await client.fetchUserInfo(config, refreshed.access_token, ERIN.sub)).sub, ERIN.sub);

    const endSession = client.buildEndSessionUrl(config, { id_token_hint: refreshed.id_token ?? tokens.id_token ?? '', post_logout_redirect_uri: postLogout });
    assert.equal(await confirmLogout(browser, endSession), postLogout);
    await assertSignedOut(browser, client.buildAuthorizationUrl(config, parameters));
  });
});
