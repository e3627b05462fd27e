import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { assertSignedOut, confirmLogout, ERIN, loginWithPasswordAndTotp } from '../helpers/interop.ts';
import { userinfoStatus } from '../helpers/token_endpoint.ts';
import { startPassportApp, type RunningPassportApp, type SignedInUser } from './passport_app.ts';

/** test/fixtures/seed.json's `passport-app`: client_secret_post, `require_pkce: false`. */
const PASSPORT_CLIENT = {
  id: 'passport-app',
  secret: 'passport-secret-0123456789-abcdefghij',
  // Port 1 is never listened on: the test's browser carries the redirect to the app's real port.
  callbackUrl: 'http://127.0.0.1:1/login/callback',
  postLogout: 'http://127.0.0.1:1/logged-out',
} as const;

/**
 * passport with passport-openidconnect in an Express app, its defaults untouched: the secret in the
 * body, no PKCE, no nonce, a state kept in express-session, no ID token signature check (the
 * strategy trusts the token endpoint, as OIDC Core §3.1.3.7 allows over TLS) but the iss, aud, azp
 * and exp checks.
 */
describe('interop: passport-openidconnect with its defaults', () => {
  let clock: ReturnType<typeof manualClock>;
  let running: RunningIdp;
  let app: RunningPassportApp;
  beforeEach(async () => {
    // The app's clock (TOTP, auth_time) reads now at the start of the test and stands still.
    clock = manualClock();
    running = await startIdp({ kind: 'memory' }, { clock });
    app = await startPassportApp({
      issuer: running.issuer,
      clientId: PASSPORT_CLIENT.id,
      clientSecret: PASSPORT_CLIENT.secret,
      callbackUrl: PASSPORT_CLIENT.callbackUrl,
      postLogoutRedirectUri: PASSPORT_CLIENT.postLogout,
    });
  });
  afterEach(async () => {
    await app.close();
    await running.close();
  });

  it('login → password and TOTP → callback → ID token → userinfo → refresh → logout', async () => {
    // Two cookie jars of one user's browser: the app's site and the provider's.
    const atApp = new Browser(app.url);
    const atIdp = new Browser(running.issuer);

    const login = await atApp.get('/login');
    assert.equal(login.status, 302);
    const authorizationUrl = new URL(login.location!);
    assert.equal(authorizationUrl.origin + authorizationUrl.pathname, `${running.issuer}/auth`);
    assert.equal(authorizationUrl.searchParams.get('code_challenge'), null, 'the strategy cannot send PKCE');

    const callback = await loginWithPasswordAndTotp(atIdp, authorizationUrl, clock);
    assert.equal(new URL(callback).pathname, '/login/callback');
    const landed = await atApp.get(callback);
    assert.equal(landed.status, 302, `the app could not finish the login: ${landed.status} ${landed.body}`);
    assert.equal(landed.location, '/', `the strategy refused the response: ${landed.location}`);

    const me = await atApp.get('/');
    assert.equal(me.status, 200);
    const user = JSON.parse(me.body) as SignedInUser;
    assert.equal(user.sub, ERIN.sub);
    assert.equal(user.name, ERIN.name);
    assert.equal(user.email, ERIN.email, 'the strategy called userinfo');
    assert.equal(user.acr, ACR.multiFactor);
    assert.deepEqual(user.amr, ['pwd', 'otp', 'mfa']);
    assert.ok(user.refreshToken, 'a first-party client gets a refresh token');

    const refresh = await atApp.post('/refresh', {});
    assert.equal(refresh.status, 200, refresh.body);
    const tokens = JSON.parse(refresh.body) as { access_token: string; refresh_token: string };
    assert.notEqual(tokens.refresh_token, user.refreshToken, 'the refresh token rotates');
    assert.equal(await userinfoStatus(running.issuer, tokens.access_token), 200);

    const logout = await atApp.get('/logout');
    assert.equal(logout.status, 302);
    assert.equal(await confirmLogout(atIdp, new URL(logout.location!)), PASSPORT_CLIENT.postLogout);
    assert.equal((await atApp.get('/')).status, 401, 'the app session ended');
    const again = await atApp.get('/login');
    await assertSignedOut(atIdp, new URL(again.location!));
  });
});
