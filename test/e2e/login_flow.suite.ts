import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.ts';
import { followRedirects, loginToCallback, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, exchangeCode, oidc, relyingParty } from '../helpers/rp.ts';

/**
 * The whole authorization-code flow through a real relying party (openid-client), run once per
 * storage backend: the same behaviour is required of memory and Redis.
 */
export function loginFlowSuite(backend: () => Backend): void {
  let running: RunningIdp;
  beforeEach(async () => {
    running = await startIdp(backend());
  });
  afterEach(async () => {
    await running.close();
  });

  it('first-party: email → password → code → tokens → userinfo → refresh rotation → logout', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web, { scope: 'openid email profile offline_access' });

    const callback = await loginToCallback(browser, request.url, 'alice@ACME.test', 'alice-password-1');
    const tokens = await exchangeCode(rp, callback, request);

    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.sub, 'usr_alice');
    assert.deepEqual(claims['amr'], ['pwd']);
    assert.equal(claims['acr'], 'urn:idp:acr:sfa');
    assert.equal(typeof claims.auth_time, 'number');

    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, 'usr_alice');
    assert.equal(userinfo.email, 'Alice@Acme.test', 'the address keeps the spelling it was registered with');
    assert.equal(userinfo.email_verified, true);
    assert.equal(userinfo.name, 'Alice Doe');
    assert.equal(userinfo.given_name, 'Alice');
    assert.equal(userinfo.family_name, 'Doe');

    assert.ok(tokens.refresh_token, 'first-party clients get a refresh token');
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token);
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'the refresh token rotates');
    await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token), (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant');

    // RP-initiated logout: a branded confirmation page, then back to the client.
    const end = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: CLIENTS.web.postLogout });
    const confirm = await browser.get(end.href);
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /Log out\?/);
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
    assert.ok(action && xsrf);
    const done = await browser.post(new URL(action).pathname, { xsrf, logout: 'yes' });
    assert.equal(done.status, 303);
    assert.ok(done.location?.startsWith(CLIENTS.web.postLogout));

    // The session is gone: a silent request now needs a login.
    const silent = await authorizationRequest(rp, CLIENTS.web, { prompt: 'none' });
    const res = await browser.get(silent.url.href);
    assert.equal(res.status, 303);
    assert.equal(new URL(res.location!).searchParams.get('error'), 'login_required');
  });

  it('a second authorization reuses the session without asking again', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const browser = new Browser(running.issuer);
    const first = await authorizationRequest(rp, CLIENTS.web);
    await exchangeCode(rp, await loginToCallback(browser, first.url, 'bob@acme.test', 'bob-password-12'), first);
    const again = await authorizationRequest(rp, CLIENTS.web);
    const { callback } = await followRedirects(browser, await browser.get(again.url.href));
    assert.ok(callback, 'SSO session: straight back to the client');
    const tokens = await exchangeCode(rp, callback, again);
    assert.equal(tokens.claims()?.sub, 'usr_bob');
  });

  it('third-party: consent lists the scopes; Allow issues a code; Cancel returns access_denied', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.partner);
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.partner);
    const { uid } = await openAuthorization(browser, request.url);
    const { page: consent } = await followRedirects(browser, await submitCredentials(browser, uid, 'alice@acme.test', 'alice-password-1'));
    assert.equal(consent.status, 200);
    assert.match(consent.body, /Partner Portal/);
    assert.match(consent.body, /<li>email<\/li>/);
    assert.match(consent.body, /<li>profile<\/li>/);
    const consentUid = /action="\/interaction\/([\w-]+)\/consent"/.exec(consent.body)?.[1];
    assert.ok(consentUid);
    const { callback } = await followRedirects(browser, await browser.post(`/interaction/${consentUid}/consent`, {}));
    assert.ok(callback);
    const tokens = await exchangeCode(rp, callback, request);
    assert.equal(tokens.claims()?.sub, 'usr_alice');

    // Another user, another browser: Cancel on the consent screen.
    const other = new Browser(running.issuer);
    const second = await authorizationRequest(rp, CLIENTS.partner);
    const opened = await openAuthorization(other, second.url);
    const { page } = await followRedirects(other, await submitCredentials(other, opened.uid, 'bob@acme.test', 'bob-password-12'));
    const uid2 = /action="\/interaction\/([\w-]+)\/abort"/.exec(page.body)?.[1];
    assert.ok(uid2);
    const cancelled = await followRedirects(other, await other.post(`/interaction/${uid2}/abort`, {}));
    assert.ok(cancelled.callback);
    assert.equal(new URL(cancelled.callback).searchParams.get('error'), 'access_denied');
  });

  it('public client: PKCE with no secret; introspection is for confidential clients', async () => {
    const spa = await relyingParty(running.issuer, CLIENTS.spa);
    const web = await relyingParty(running.issuer, CLIENTS.web);
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(spa, CLIENTS.spa);
    const tokens = await exchangeCode(spa, await loginToCallback(browser, request.url, 'bob@acme.test', 'bob-password-12'), request);
    assert.equal(tokens.claims()?.sub, 'usr_bob');
    assert.equal((await oidc.tokenIntrospection(spa, tokens.access_token)).active, false, 'a public client learns nothing, even of its own token');

    const webRequest = await authorizationRequest(web, CLIENTS.web);
    const webTokens = await exchangeCode(web, await loginToCallback(new Browser(running.issuer), webRequest.url, 'alice@acme.test', 'alice-password-1'), webRequest);
    assert.equal((await oidc.tokenIntrospection(web, webTokens.access_token)).active, true);
    assert.equal((await oidc.tokenIntrospection(web, tokens.access_token)).active, false, 'not about another client’s token');
    await oidc.tokenRevocation(web, webTokens.access_token);
    assert.equal((await oidc.tokenIntrospection(web, webTokens.access_token)).active, false);
  });

  it('PKCE is required of every client, confidential ones included', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: CLIENTS.web.redirectUri, scope: 'openid', state: 'x' });
    const res = await new Browser(running.issuer).get(url.href);
    assert.equal(res.status, 303);
    const error = new URL(res.location!).searchParams;
    assert.equal(error.get('error'), 'invalid_request');
    assert.match(error.get('error_description') ?? '', /PKCE/);
  });

  it('a replayed authorization code is refused', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const callback = await loginToCallback(new Browser(running.issuer), request.url, 'alice@acme.test', 'alice-password-1');
    await exchangeCode(rp, callback, request);
    await assert.rejects(exchangeCode(rp, callback, request), (err: unknown) => err instanceof oidc.ResponseBodyError && err.error === 'invalid_grant');
  });

  it('unknown email, wrong password and disabled account look identical', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const attempt = async (email: string, password: string): Promise<{ status: number; body: string }> => {
      const browser = new Browser(running.issuer);
      const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
      const page = await submitCredentials(browser, uid, email, password);
      return { status: page.status, body: page.body.replaceAll(uid, 'UID').replaceAll(email, 'EMAIL') };
    };
    const wrongPassword = await attempt('alice@acme.test', 'not-her-password');
    const unknown = await attempt('nobody@acme.test', 'not-her-password');
    const disabled = await attempt('dana@acme.test', 'dana-password-1');
    assert.equal(wrongPassword.status, 401);
    assert.match(wrongPassword.body, /Incorrect email or password/);
    assert.deepEqual(unknown, wrongPassword);
    assert.deepEqual(disabled, wrongPassword);
  });
}
