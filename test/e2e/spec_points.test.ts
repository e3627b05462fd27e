import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { CLIENT_ORIGIN, followRedirects, loginToCallback, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { ERIN_SECRET, passwordStep, totpNow } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, oidc, relyingParty } from '../helpers/rp.ts';
import { tokenRequest } from '../helpers/token_endpoint.ts';

/**
 * OpenID Connect points that once failed (issue 8): POST at /auth and /session/end, essential acr,
 * a required redirect_uri, no nonce in a refreshed ID token, logout's own error wording, and no
 * ui_locales_supported in discovery. The store does not matter here: memory only.
 */

const RP_SITE = 'https://rp.example';

/** The Set-Cookie line that sets `name`, if the response has one. */
function setCookie(page: Page, name: string): string | undefined {
  return page.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

/** A form POST from another site's page, as a browser sends it (the Browser jar ignores SameSite: the attributes are asserted instead). */
async function crossSitePost(browser: Browser, path: string, form: Record<string, string>): Promise<Page> {
  browser.headers['origin'] = RP_SITE;
  browser.headers['sec-fetch-site'] = 'cross-site';
  try {
    return await browser.post(path, form);
  } finally {
    delete browser.headers['origin'];
    delete browser.headers['sec-fetch-site'];
  }
}

function xsrfForm(page: Page): { action: string; xsrf: string } {
  const action = /<form[^>]*action="([^"]+)"/.exec(page.body)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1];
  assert.ok(action && xsrf, 'the confirmation page has the logout form');
  return { action: new URL(action).pathname, xsrf };
}

/** A code-flow request as form fields, for a POST to /auth (oidc-provider checks PKCE's shape only here). */
function authorizationForm(extra: Record<string, string> = {}): Record<string, string> {
  return {
    client_id: CLIENTS.web.id,
    response_type: 'code',
    redirect_uri: CLIENTS.web.redirectUri,
    scope: 'openid',
    state: 'state-from-the-form',
    nonce: 'nonce-from-the-form',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...extra,
  };
}

describe('POST at /auth and /session/end behind TLS (OIDC Core 3.1.2.1, RP-Initiated Logout 2)', () => {
  // A production deployment: an https issuer, TLS ended at a trusted proxy that says so.
  const ISSUER = 'https://idp.example';
  let running: RunningIdp;
  let browser: Browser;

  beforeEach(async () => {
    running = await startIdp({ kind: 'memory' }, { issuer: ISSUER, env: { TRUST_PROXY: 'true' } });
    browser = new Browser(`http://127.0.0.1:${running.port}`, new URL(ISSUER).host);
    browser.headers['x-forwarded-proto'] = 'https';
  });
  afterEach(async () => {
    await running.close();
  });

  async function login(): Promise<void> {
    const url = new URL(`${ISSUER}/auth?${new URLSearchParams(authorizationForm()).toString()}`);
    const { uid } = await openAuthorization(browser, url);
    const { callback } = await followRedirects(browser, await submitCredentials(browser, uid, 'bob@acme.test', 'bob-password-12'));
    assert.ok(callback, 'logged in');
  }

  it('a cross-site form POST to /auth with a session gets a code without a login (SSO); the session cookie is SameSite=None and Secure', async () => {
    await login();
    const posted = await crossSitePost(browser, '/auth', authorizationForm({ state: 'posted' }));
    assert.equal(posted.status, 303, posted.body.slice(0, 300));
    assert.ok(posted.location?.startsWith(CLIENT_ORIGIN), `straight back to the client, got ${posted.location}`);
    const callback = new URL(posted.location ?? '');
    assert.ok(callback.searchParams.get('code'));
    assert.equal(callback.searchParams.get('state'), 'posted');

    // The session cookie must reach a cross-site POST: None, which browsers accept only with Secure.
    for (const name of ['_session', '_session.sig']) {
      const line = setCookie(posted, name);
      assert.ok(line, `${name} is set`);
      assert.match(line, /;\s*samesite=none/i);
      assert.match(line, /;\s*secure/i);
      assert.match(line, /;\s*httponly/i);
    }
  });

  it('a POST to /auth without a session leads to the login; the interaction cookies stay SameSite=Lax', async () => {
    const posted = await crossSitePost(browser, '/auth', authorizationForm());
    assert.equal(posted.status, 303);
    assert.match(posted.location ?? '', /^\/interaction\/[\w-]+$/);
    const interaction = setCookie(posted, '_interaction');
    assert.ok(interaction);
    assert.match(interaction, /;\s*samesite=lax/i, 'the interaction forms rely on Lax instead of a CSRF token');
    assert.match(interaction, /;\s*path=\/interaction\//i);
    assert.match(setCookie(posted, '_interaction_resume') ?? '', /;\s*samesite=lax/i);
  });

  it('the session cookie going cross-site does not open an interaction: its forms still need their own cookie', async () => {
    await login();
    // Another site starts a sign-in of its own, then makes the signed-in browser post to its form.
    const attacker = new Browser(`http://127.0.0.1:${running.port}`, new URL(ISSUER).host);
    attacker.headers['x-forwarded-proto'] = 'https';
    const { uid } = await openAuthorization(attacker, new URL(`${ISSUER}/auth?${new URLSearchParams(authorizationForm()).toString()}`));
    const forged = await crossSitePost(browser, `/interaction/${uid}/email`, { email: 'bob@acme.test' });
    assert.equal(forged.status, 400);
    assert.match(forged.body, /Your sign-in has expired/);
  });

  it('a cross-site POST to /session/end shows the logout confirmation, and only its own form (with the xsrf token) logs out', async () => {
    await login();
    const confirm = await crossSitePost(browser, '/session/end', { client_id: CLIENTS.web.id, post_logout_redirect_uri: CLIENTS.web.postLogout, state: 'bye' });
    assert.equal(confirm.status, 200, confirm.body.slice(0, 300));
    assert.match(confirm.body, /Log out\?/);
    const { action } = xsrfForm(confirm);

    // Another site cannot skip the question: without the token the confirmation is refused.
    const forged = await crossSitePost(browser, action, { logout: 'yes' });
    assert.equal(forged.status, 400);
    assert.match(forged.body, /We could not sign you out/);
    assert.match(forged.body, /xsrf token invalid/);
    const stillIn = await browser.get(`/auth?${new URLSearchParams(authorizationForm({ prompt: 'none' })).toString()}`);
    assert.ok(new URL(stillIn.location ?? '', ISSUER).searchParams.get('code'), 'the session survived the forged confirmation');

    const again = await crossSitePost(browser, '/session/end', { client_id: CLIENTS.web.id, post_logout_redirect_uri: CLIENTS.web.postLogout, state: 'bye' });
    const done = await browser.post(action, { xsrf: xsrfForm(again).xsrf, logout: 'yes' });
    assert.equal(done.status, 303);
    assert.equal(done.location, `${CLIENTS.web.postLogout}?state=bye`);
    const silent = await browser.get(`/auth?${new URLSearchParams(authorizationForm({ prompt: 'none' })).toString()}`);
    assert.equal(new URL(silent.location ?? '').searchParams.get('error'), 'login_required');
  });
});

describe('OIDC Core points over plain HTTP (development)', () => {
  let running: RunningIdp;
  let rp: oidc.Configuration;
  const clock = manualClock();

  beforeEach(async () => {
    running = await startIdp({ kind: 'memory' }, { clock });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  afterEach(async () => {
    await running.close();
  });

  it('the session cookie falls back to SameSite=Lax without TLS, where browsers would drop None', async () => {
    const browser = new Browser(running.issuer);
    const first = await authorizationRequest(rp, CLIENTS.web);
    await loginToCallback(browser, first.url, 'bob@acme.test', 'bob-password-12');
    const sso = await browser.get((await authorizationRequest(rp, CLIENTS.web)).url.href);
    for (const name of ['_session', '_session.sig']) {
      const line = setCookie(sso, name);
      assert.ok(line, `${name} is set`);
      assert.match(line, /;\s*samesite=lax/i);
      assert.doesNotMatch(line, /samesite=none/i);
      assert.doesNotMatch(line, /;\s*secure/i);
    }
    // POST is routed over HTTP too: it reaches the login (no SSO across sites, only across apps).
    const posted = await crossSitePost(new Browser(running.issuer), '/auth', authorizationForm());
    assert.equal(posted.status, 303);
    assert.match(posted.location ?? '', /^\/interaction\//);
  });

  describe('essential acr (OIDC Core 5.5.1.1)', () => {
    const claims = (values: string[]) => JSON.stringify({ id_token: { acr: { essential: true, values } } });

    it('values none of ours can meet end with unmet_authentication_requirements at the redirect URI, before any login', async () => {
      const request = await authorizationRequest(rp, CLIENTS.web, { claims: claims(['urn:unknown:acr']) });
      const res = await new Browser(running.issuer).get(request.url.href);
      assert.equal(res.status, 303);
      const callback = new URL(res.location ?? '');
      assert.equal(callback.origin + callback.pathname, CLIENTS.web.redirectUri);
      assert.equal(callback.searchParams.get('error'), 'unmet_authentication_requirements');
      assert.equal(callback.searchParams.get('state'), request.state);
      assert.equal(callback.searchParams.get('code'), null);
    });

    it('an MFA login asked for the single-factor acr gets the single-factor acr', async () => {
      const browser = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web, { claims: claims([ACR.singleFactor]) });
      const { uid, page } = await passwordStep(browser, request.url, 'erin@summit.test', 'erin-password-1');
      assert.match(page.body, /Enter Your 6-digit Verification Code/, 'erin is challenged by policy');
      const { callback } = await followRedirects(browser, await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));
      assert.ok(callback);
      const tokens = await exchangeCode(rp, callback, request);
      const idToken = tokens.claims();
      assert.equal(idToken?.['acr'], ACR.singleFactor, 'one of the requested values, which MFA satisfies');
      assert.deepEqual(idToken?.['amr'], ['pwd', 'otp', 'mfa'], 'amr still says what happened');

      // The chain did MFA: Summit requires it, and refreshing is still allowed.
      assert.ok(tokens.refresh_token);
      const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token);
      assert.equal(refreshed.claims()?.['acr'], ACR.singleFactor);
    });

    it('either acr accepted: one factor is enough, with no MFA step', async () => {
      const request = await authorizationRequest(rp, CLIENTS.web, { claims: claims([ACR.multiFactor, ACR.singleFactor, 'urn:unknown:acr']) });
      const callback = await loginToCallback(new Browser(running.issuer), request.url, 'bob@acme.test', 'bob-password-12');
      assert.equal((await exchangeCode(rp, callback, request)).claims()?.['acr'], ACR.singleFactor);
    });
  });

  it('a missing redirect_uri is refused at /auth without a redirect, and at /token (OIDC Core 3.1.2.1, 3.1.3.1)', async () => {
    const request = await authorizationRequest(rp, CLIENTS.web);
    const withoutRedirect = new URL(request.url);
    withoutRedirect.searchParams.delete('redirect_uri');
    const refused = await new Browser(running.issuer).get(withoutRedirect.href);
    assert.equal(refused.status, 400);
    assert.equal(refused.location, undefined, 'never redirects');
    assert.match(refused.body, /We could not sign you in/);
    assert.match(refused.body, /redirect_uri/);

    const callback = await loginToCallback(new Browser(running.issuer), request.url, 'bob@acme.test', 'bob-password-12');
    const code = new URL(callback).searchParams.get('code') ?? '';
    const token = await tokenRequest(running.issuer, CLIENTS.web, { grant_type: 'authorization_code', code, code_verifier: request.verifier });
    assert.equal(token.status, 400);
    assert.equal(token.body['error'], 'invalid_request');
    assert.match(String(token.body['error_description']), /redirect_uri/);
  });

  it('a refreshed ID token has no nonce; the first one has it (OIDC Core 12.2)', async () => {
    const request = await authorizationRequest(rp, CLIENTS.web);
    const tokens = await exchangeCode(rp, await loginToCallback(new Browser(running.issuer), request.url, 'bob@acme.test', 'bob-password-12'), request);
    assert.equal(tokens.claims()?.nonce, request.nonce);
    assert.ok(tokens.refresh_token);
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token);
    assert.ok(refreshed.id_token);
    assert.equal(refreshed.claims()?.nonce, undefined);
    assert.ok(refreshed.refresh_token);
    const again = await oidc.refreshTokenGrant(rp, refreshed.refresh_token);
    assert.equal(again.claims()?.nonce, undefined, 'nor after another rotation');
  });

  it('logout errors have their own wording', async () => {
    const end = new URL('/session/end', running.issuer);
    end.search = new URLSearchParams({ client_id: CLIENTS.web.id, post_logout_redirect_uri: 'https://elsewhere.example/' }).toString();
    const page = await new Browser(running.issuer).get(end.href);
    assert.equal(page.status, 400);
    assert.match(page.body, /We could not sign you out/);
    assert.doesNotMatch(page.body, /sign you in/);
  });

  it('discovery leaves out ui_locales_supported and claims_locales_supported while no locale is supported', async () => {
    const res = await fetch(new URL('/.well-known/openid-configuration', running.issuer));
    const metadata = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200);
    assert.equal('ui_locales_supported' in metadata, false);
    assert.equal('claims_locales_supported' in metadata, false);
    assert.equal(metadata['claims_parameter_supported'], true);

    // The parameter itself is accepted (and ignored): the sign-in goes on in English.
    const request = await authorizationRequest(rp, CLIENTS.web, { ui_locales: 'de-DE fr' });
    const { page } = await openAuthorization(new Browser(running.issuer), request.url);
    assert.equal(page.status, 200);
  });
});
