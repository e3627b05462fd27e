import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Browser } from '../helpers/browser.ts';
import { loginToCallback } from '../helpers/flows.ts';
import { TEST_SEED } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty } from '../helpers/rp.ts';
import { formEnvelope, hostileString, nearly, queryString } from './arbitraries.ts';
import { fuzzForm } from './forms.ts';
import { assertAlive, assertProductAnswer, fuzz, send } from './harness.ts';
import { startFuzzWorld, type FuzzWorld } from './world.ts';

const BASIC = `Basic ${Buffer.from(`${CLIENTS.web.id}:${CLIENTS.web.secret}`).toString('base64')}`;

/**
 * oidc-provider's own endpoints as the product mounts them: the token endpoint (every grant type,
 * hostile codes, verifiers and refresh tokens), introspection, revocation, userinfo, the
 * authorization endpoint with a signed-in session (so `claims`, `acr_values` and `max_age` reach the
 * MFA gate) and the logout screens. Every answer is an OAuth JSON error, a redirect, or a page of ours.
 */
describe('fuzz: the OpenID Connect endpoints', function () {
  this.timeout(120_000);
  let world: FuzzWorld;
  let tokens: { access: string; refresh: string };
  /** Bob (no MFA) signed in at the provider: the session /auth and the logout screens run with. */
  let browser: Browser;

  before(async () => {
    world = await startFuzzWorld(TEST_SEED);
    world.logs.secret('a password', 'bob-password-12');
    world.logs.secret('a client secret', CLIENTS.web.secret);
    browser = new Browser(world.origin);
    const rp = await relyingParty(world.origin, CLIENTS.web);
    const request = await authorizationRequest(rp, CLIENTS.web, { scope: 'openid email offline_access', prompt: 'consent' });
    const callback = await loginToCallback(browser, request.url, 'bob@acme.test', 'bob-password-12');
    const issued = await exchangeCode(rp, callback, request);
    assert.ok(issued.refresh_token);
    tokens = { access: issued.access_token, refresh: issued.refresh_token };
    world.logs.secret('an access token', tokens.access);
    world.logs.secret('a refresh token', tokens.refresh);
    world.logs.secret('an ID token', issued.id_token);
    world.logs.cookies(browser.cookieHeader('/session/end'));
    world.logs.cookies(browser.cookieHeader('/auth'));
  });
  after(async () => {
    await assertAlive(world.origin);
    await world.close();
  });

  const client = (): Promise<{ path: string; cookie: string; headers: Record<string, string>; substitutions: Record<string, string> }> =>
    Promise.resolve({ path: '', cookie: '', headers: { authorization: BASIC, accept: 'application/json' }, substitutions: { QQACCESSQQ: tokens.access, QQREFRESHQQ: tokens.refresh } });

  it('the token endpoint', async () => {
    await fuzzForm(world, {
      runs: 60,
      envelope: formEnvelope({
        fields: {
          grant_type: nearly('authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code', 'password', 'implicit'),
          code: nearly('QQACCESSQQ', 'abc'),
          redirect_uri: nearly(CLIENTS.web.redirectUri, 'http://evil.test/'),
          code_verifier: nearly('a'.repeat(43), ''),
          refresh_token: nearly('QQREFRESHQQ-x', 'x'),
          scope: nearly('openid', 'openid admin', 'offline_access'),
          resource: nearly('https://api.test/'),
        },
      }),
      target: async () => ({ ...(await client()), path: '/token' }),
      moved: () => false,
    });
  });

  it('introspection and revocation', async () => {
    for (const path of ['/token/introspection', '/token/revocation']) {
      await fuzzForm(world, {
        runs: 25,
        envelope: formEnvelope({ fields: { token: nearly('QQACCESSQQ', 'x'), token_type_hint: nearly('access_token', 'refresh_token', 'id_token'), client_id: nearly(CLIENTS.web.id) } }),
        target: async () => ({ ...(await client()), path }),
        // A revocation that went through ended the access token: the next runs ask about a dead one, which is fine.
        moved: () => false,
      });
    }
  });

  it('userinfo with hostile bearer tokens', async () => {
    await fuzz(fc.tuple(fc.oneof(nearly('Bearer QQACCESSQQ', 'Basic eA=='), hostileString.map((h) => `Bearer ${h}`)), fc.constantFrom('GET', 'POST')), 30, async ([header, method]) => {
      const value = header.replaceAll('QQACCESSQQ', tokens.access).replace(/[^\t\x20-\x7e]/g, '');
      assertProductAnswer(await send(world.origin, method, '/me', { authorization: value, accept: 'application/json' }), `${method} /me ${value.slice(0, 80)}`);
    });
  });

  it('the authorization endpoint, signed in (claims, acr_values, max_age reach the MFA gate)', async () => {
    const query = queryString({
      fields: {
        client_id: nearly(CLIENTS.web.id),
        response_type: nearly('code', 'token', 'id_token'),
        redirect_uri: nearly(CLIENTS.web.redirectUri),
        scope: nearly('openid email', 'openid admin'),
        code_challenge: nearly('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'),
        code_challenge_method: nearly('S256', 'plain'),
        state: hostileString,
        nonce: hostileString,
        prompt: nearly('none', 'login', 'consent', 'select_account', 'none login'),
        max_age: nearly('0', '60', '-1', '1e10', 'x'),
        acr_values: nearly('urn:idp:acr:mfa', 'urn:idp:acr:sfa', 'urn:idp:acr:mfa urn:idp:acr:sfa'),
        claims: nearly('{"id_token":{"acr":{"essential":true,"values":["urn:idp:acr:mfa"]}}}', '{"id_token":{"acr":{"value":"urn:idp:acr:mfa"}}}', '{"id_token":{"acr":null}}', '{"id_token":{"acr":{"values":[1,{}]}}}', '{"id_token":[]}', '{', '[]'),
        login_hint: hostileString,
        ui_locales: nearly('en', 'de-DE'),
        request: nearly('eyJhbGciOiJub25lIn0.e30.'),
        request_uri: nearly('urn:ietf:params:oauth:request_uri:x'),
      },
    });
    await fuzz(query, 60, async (q) => {
      const path = `/auth?${q}`;
      assertProductAnswer(await send(world.origin, 'GET', path, { cookie: browser.cookieHeader('/auth') }), `GET ${path}`);
    });
  });

  it('the logout screens (RP-initiated logout)', async () => {
    const query = queryString({ fields: { id_token_hint: nearly('eyJhbGciOiJSUzI1NiJ9.e30.x'), post_logout_redirect_uri: nearly(CLIENTS.web.postLogout, 'http://evil.test/'), client_id: nearly(CLIENTS.web.id), state: hostileString, logout_hint: hostileString, ui_locales: nearly('en') } });
    await fuzz(query, 30, async (q) => {
      const path = `/session/end?${q}`;
      assertProductAnswer(await send(world.origin, 'GET', path, { cookie: browser.cookieHeader('/session/end') }), `GET ${path}`);
    });
    await fuzzForm(world, {
      runs: 20,
      envelope: formEnvelope({ fields: { logout: nearly('yes', 'no') }, fixed: { xsrf: 'QQXSRFQQ' } }),
      target: async () => {
        const page = await browser.get('/session/end');
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
        world.logs.secret('the logout form’s xsrf token', xsrf);
        return { path: '/session/end/confirm', cookie: browser.cookieHeader('/session/end/confirm'), substitutions: { QQXSRFQQ: xsrf } };
      },
      moved: () => false,
    });
  });
});
