import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { signInsOn } from '../../provider/sign_ins.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects, loginToCallback, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type TestClient } from '../helpers/rp.ts';
import { refresh, userinfoStatus, type EndpointReply } from '../helpers/token_endpoint.ts';

function invalidGrant(reply: EndpointReply): boolean {
  return reply.status === 400 && reply.body['error'] === 'invalid_grant';
}

/**
 * Ending every sign-in of an account (what an admin's MFA reset does after removing the factors):
 * found through the account index of the oidc adapters, on each backend, with the real app.
 */
onEachBackend('ending every session of an account', (backend) => {
  let running: RunningIdp;
  beforeEach(async () => {
    running = await startIdp(backend(), { clock: manualClock() });
  });
  afterEach(async () => {
    await running.close();
  });

  /** An app's code, then its tokens; the browser logs in on the way unless its session is still good. */
  async function signIn(browser: Browser, client: TestClient, login?: { email: string; password: string }) {
    const rp = await relyingParty(running.issuer, client);
    const request = await authorizationRequest(rp, client, { scope: 'openid offline_access', prompt: 'consent' });
    const callback = login ? await loginToCallback(browser, request.url, login.email, login.password) : (await followRedirects(browser, await browser.get(request.url.href))).callback;
    assert.ok(callback, 'a code without a login: the browser session is good');
    const tokens = await exchangeCode(rp, callback, request);
    assert.ok(tokens.refresh_token);
    return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token };
  }

  /** What a browser does with oidc-provider's auto-submitting forms. */
  function submitSelfPostingForm(browser: Browser, page: Page): Promise<Page> {
    const action = /<form method="post" action="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(action, page.body.slice(0, 300));
    const fields = Object.fromEntries([...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    return browser.post(new URL(action).pathname, fields);
  }

  function endEverySessionOf(accountId: string): Promise<void> {
    return signInsOn(() => running.idp.app, running.idp.stores.oidcAccounts, 24 * 3600).endEverySessionOf(accountId);
  }

  async function authorizationUrl(client: TestClient): Promise<URL> {
    return (await authorizationRequest(await relyingParty(running.issuer, client), client)).url;
  }

  it('revokes every refresh and access token of the account, in every app, and the browser must log in again', async () => {
    const aliceBrowser = new Browser(running.issuer);
    const web = await signIn(aliceBrowser, CLIENTS.web, { email: 'alice@acme.test', password: 'alice-password-1' });
    const spa = await signIn(aliceBrowser, CLIENTS.spa);
    const bobBrowser = new Browser(running.issuer);
    const bob = await signIn(bobBrowser, CLIENTS.web, { email: 'bob@acme.test', password: 'bob-password-12' });

    await endEverySessionOf('usr_alice');

    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, web.refreshToken)), 'web refresh token');
    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.spa, spa.refreshToken)), 'spa refresh token');
    assert.equal(await userinfoStatus(running.issuer, web.accessToken), 401);
    assert.equal(await userinfoStatus(running.issuer, spa.accessToken), 401);
    const { page } = await openAuthorization(aliceBrowser, await authorizationUrl(CLIENTS.web));
    assert.match(page.body, /name="email"/, 'the login screen, not a code');
    assert.doesNotMatch(page.body, /readonly value=/, 'nor a password step for the remembered account');

    // Bob is untouched: his tokens work and his browser still signs in silently.
    assert.equal(await userinfoStatus(running.issuer, bob.accessToken), 200);
    assert.equal((await refresh(running.issuer, CLIENTS.web, bob.refreshToken)).status, 200);
    assert.ok((await followRedirects(bobBrowser, await bobBrowser.get((await authorizationUrl(CLIENTS.web)).href))).callback);
  });

  it('a browser that was logged in as the account and then as another is left to the other', async () => {
    const shared = new Browser(running.issuer);
    await signIn(shared, CLIENTS.web, { email: 'alice@acme.test', password: 'alice-password-1' });
    const aliceElsewhere = new Browser(running.issuer);
    const alice = await signIn(aliceElsewhere, CLIENTS.spa, { email: 'alice@acme.test', password: 'alice-password-1' });
    const bobRp = await relyingParty(running.issuer, CLIENTS.web);
    const bobRequest = await authorizationRequest(bobRp, CLIENTS.web, { prompt: 'login' });
    const { uid } = await openAuthorization(shared, bobRequest.url);
    // Another account in the same browser: oidc-provider ends Alice's session first, through a self-submitting form.
    const switchForm = await followRedirects(shared, await submitCredentials(shared, uid, 'bob@acme.test', 'bob-password-12'));
    const bobCallback = (await followRedirects(shared, await submitSelfPostingForm(shared, switchForm.page))).callback;
    assert.ok(bobCallback);
    await exchangeCode(bobRp, bobCallback, bobRequest);

    await endEverySessionOf('usr_alice');

    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.spa, alice.refreshToken)));
    assert.match((await openAuthorization(aliceElsewhere, await authorizationUrl(CLIENTS.web))).page.body, /name="email"/);
    const again = await followRedirects(shared, await shared.get((await authorizationUrl(CLIENTS.web)).href));
    assert.ok(again.callback, 'the browser session is Bob’s now, and stays');
  });

  it('is safe to repeat, and to run for an account with nothing to end', async () => {
    const browser = new Browser(running.issuer);
    const web = await signIn(browser, CLIENTS.web, { email: 'alice@acme.test', password: 'alice-password-1' });
    await endEverySessionOf('usr_alice');
    await endEverySessionOf('usr_alice');
    await endEverySessionOf('usr_nobody');
    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, web.refreshToken)));
  });
});
