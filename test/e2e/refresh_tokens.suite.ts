import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects, loginToCallback } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { ERIN_SECRET, passwordStep, totpNow } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, oidc, relyingParty, type TestClient } from '../helpers/rp.ts';
import { postAsClient, refresh, userinfoStatus, type EndpointReply } from '../helpers/token_endpoint.ts';

const ABSOLUTE = 3000;
const IDLE = 1000;

function invalidGrant(reply: EndpointReply): boolean {
  return reply.status === 400 && reply.body['error'] === 'invalid_grant';
}

/**
 * Refresh tokens end: a chain has an absolute and an idle lifetime, a public client can revoke its
 * own, "log out of everything" ends offline ones too, and a refresh re-checks the account (disabled,
 * MFA locked, MFA now required) before it mints another ID token.
 */
export function refreshTokensSuite(backend: () => Backend): void {
  let clock: ReturnType<typeof manualClock>;
  let running: RunningIdp;
  beforeEach(async () => {
    clock = manualClock();
    running = await startIdp(backend(), { clock, env: { REFRESH_ABSOLUTE_SECONDS: String(ABSOLUTE), REFRESH_IDLE_SECONDS: String(IDLE) } });
  });
  afterEach(async () => {
    await running.close();
  });

  async function login(client: TestClient, email: string, password: string, params: Record<string, string> = {}) {
    const rp = await relyingParty(running.issuer, client);
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, client, { scope: 'openid offline_access', ...params });
    const tokens = await exchangeCode(rp, await loginToCallback(browser, request.url, email, password), request);
    assert.ok(tokens.refresh_token);
    return { rp, browser, tokens, refreshToken: tokens.refresh_token };
  }

  async function introspect(token: string): Promise<{ iat: number; exp: number }> {
    const reply = await postAsClient(running.issuer, '/token/introspection', CLIENTS.web, { token });
    assert.equal(reply.body['active'], true, JSON.stringify(reply.body));
    return { iat: Number(reply.body['iat']), exp: Number(reply.body['exp']) };
  }

  it('a chain lives the idle lifetime per token and never past its absolute lifetime, however often it rotates', async () => {
    const { refreshToken } = await login(CLIENTS.web, 'alice@acme.test', 'alice-password-1');
    const first = await introspect(refreshToken);
    assert.equal(first.exp - first.iat, IDLE, 'a new chain: the idle lifetime');

    const rotated = await refresh(running.issuer, CLIENTS.web, refreshToken);
    assert.equal(rotated.status, 200);
    const second = await introspect(String(rotated.body['refresh_token']));
    assert.ok(second.exp - second.iat <= IDLE, 'a rotation restarts the idle lifetime, no more');
    assert.ok(second.exp <= first.iat + ABSOLUTE, 'and never goes past the absolute end of the chain');
  });

  it('the absolute lifetime caps a rotated token, counted from the first login', async () => {
    await running.close();
    running = await startIdp(backend(), { clock, env: { REFRESH_ABSOLUTE_SECONDS: '100', REFRESH_IDLE_SECONDS: '1000' } });
    const { refreshToken } = await login(CLIENTS.web, 'alice@acme.test', 'alice-password-1');
    const first = await introspect(refreshToken);
    assert.equal(first.exp - first.iat, 100);
    const rotated = await refresh(running.issuer, CLIENTS.web, refreshToken);
    const second = await introspect(String(rotated.body['refresh_token']));
    assert.equal(second.exp, first.exp, 'the chain ends when it would have anyway');
  });

  it('a public client revokes its own refresh token (and only its own)', async () => {
    const spa = await login(CLIENTS.spa, 'bob@acme.test', 'bob-password-12');
    const web = await login(CLIENTS.web, 'alice@acme.test', 'alice-password-1');
    const other = await postAsClient(running.issuer, '/token/revocation', CLIENTS.spa, { token: web.refreshToken });
    assert.equal(other.status, 200);
    assert.equal((await refresh(running.issuer, CLIENTS.web, web.refreshToken)).status, 200, 'another client’s token is untouched');

    const own = await postAsClient(running.issuer, '/token/revocation', CLIENTS.spa, { token: spa.refreshToken, token_type_hint: 'refresh_token' });
    assert.equal(own.status, 200);
    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.spa, spa.refreshToken)), 'the revoked token no longer refreshes');
    assert.equal(await userinfoStatus(running.issuer, spa.tokens.access_token), 401, 'and its grant went with it');
  });

  it('"log out of everything" ends offline refresh tokens too', async () => {
    const { rp, browser, tokens, refreshToken } = await login(CLIENTS.web, 'alice@acme.test', 'alice-password-1', { prompt: 'consent' });
    assert.match(tokens.scope ?? '', /offline_access/, 'an offline token, which outlives the session by design');

    const end = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: CLIENTS.web.postLogout });
    const confirm = await browser.get(end.href);
    const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
    assert.ok(action && xsrf);
    const done = await browser.post(new URL(action).pathname, { xsrf, logout: 'yes' });
    assert.equal(done.status, 303);

    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, refreshToken)));
  });

  it('a disabled account cannot refresh', async () => {
    const { refreshToken } = await login(CLIENTS.web, 'bob@acme.test', 'bob-password-12');
    const { directory } = running.idp.stores;
    const bob = await directory.findUser('usr_bob');
    assert.ok(bob);
    await directory.saveUser({ ...bob, status: 'disabled' });
    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, refreshToken)));
  });

  it('a locked MFA step refuses refreshes until the lock ends', async () => {
    const { refreshToken } = await login(CLIENTS.web, 'alice@acme.test', 'alice-password-1');
    await running.idp.stores.mfaLockout.lock('usr_alice', 0, clock() + 60_000); // one minute
    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, refreshToken)));
    clock.advance(60_000);
    const after = await refresh(running.issuer, CLIENTS.web, refreshToken);
    assert.equal(after.status, 200, `the token was not spent by the refusal: ${JSON.stringify(after.body)}`);
  });

  it('once the company requires MFA, a single-factor chain is refused; a multi-factor one goes on', async () => {
    const alice = await login(CLIENTS.web, 'alice@acme.test', 'alice-password-1');
    assert.equal(alice.tokens.claims()?.['acr'], ACR.singleFactor);

    // Erin has already done MFA (Summit requires it).
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web, { scope: 'openid offline_access' });
    const { uid } = await passwordStep(browser, request.url, 'erin@summit.test', 'erin-password-1');
    const { callback } = await followRedirects(browser, await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));
    assert.ok(callback);
    const erin = await exchangeCode(rp, callback, request);
    assert.equal(erin.claims()?.['acr'], ACR.multiFactor);

    const { directory } = running.idp.stores;
    const acme = await directory.findCompany('acme');
    assert.ok(acme);
    await directory.saveCompany({ ...acme, mfa: { required: true, enforcementDate: undefined, reverify: '30d' } });

    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, alice.refreshToken)), 'no more single-factor ID tokens for Acme');
    const erinRefreshed = await refresh(running.issuer, CLIENTS.web, String(erin.refresh_token));
    assert.equal(erinRefreshed.status, 200);
  });
}
