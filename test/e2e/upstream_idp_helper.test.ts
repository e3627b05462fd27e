import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { Browser } from '../helpers/browser.ts';
import { followUpstream, loginUpstream, startUpstreamIdp, UPSTREAM_ACR, type UpstreamIdp } from '../helpers/upstream_idp.ts';

/**
 * The upstream IdP test helper, checked with openid-client as the relying party (as our IdP will be):
 * if these pass, a failing upstream-SSO test is about our IdP, not about the fake company IdP.
 */
const CLIENT = { clientId: 'our-idp', clientSecret: 'our-idp-secret-0123456789abcdef', redirectUris: ['http://127.0.0.1:1/sso/callback'] };
const ALICE = { sub: 'alice-0001', email: 'alice@corp.test', emailVerified: true, password: 'alice-password', username: 'alice' };

describe('test helper: upstream IdP', () => {
  let upstream: UpstreamIdp;
  let browser: Browser;
  let config: oidc.Configuration;

  beforeEach(async () => {
    upstream = await startUpstreamIdp({ clients: [CLIENT], users: [ALICE] });
    browser = new Browser(upstream.issuer);
    config = await discover();
  });
  afterEach(async () => {
    await upstream.close();
  });

  function discover(auth: oidc.ClientAuth = oidc.ClientSecretPost(CLIENT.clientSecret)): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(upstream.issuer), CLIENT.clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  }

  async function authorize(params: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CLIENT.redirectUris[0]!,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...params,
    });
    const exchange = (callback: string, using = config) =>
      oidc.authorizationCodeGrant(using, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    return { url: url.href, state, exchange };
  }

  it('code + PKCE: the ID token carries email, email_verified, amr, acr and auth_time', async () => {
    const { url, state, exchange } = await authorize({ login_hint: 'alice' });
    const callback = new URL(await loginUpstream(browser, url, { username: 'alice', password: ALICE.password }));
    assert.equal(callback.origin + callback.pathname, CLIENT.redirectUris[0]);
    assert.ok(callback.searchParams.get('code'));
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), upstream.issuer);

    const claims = (await exchange(callback.href)).claims();
    assert.ok(claims);
    assert.equal(claims.sub, ALICE.sub);
    assert.equal(claims['email'], ALICE.email);
    assert.equal(claims['email_verified'], true);
    assert.deepEqual(claims['amr'], ['pwd']);
    assert.equal(claims['acr'], UPSTREAM_ACR.pwd);
    assert.equal(typeof claims.auth_time, 'number');

    const request = upstream.authorizationRequests.at(-1);
    assert.equal(request?.get('login_hint'), 'alice');
    assert.equal(request.get('code_challenge_method'), 'S256');
    assert.equal(request.get('nonce'), claims.nonce);
  });

  it('the second-factor box makes amr ["pwd","otp","mfa"] and the mfa acr; client_secret_basic works too', async () => {
    const { url, exchange } = await authorize();
    const callback = await loginUpstream(browser, url, { username: 'alice', password: ALICE.password, mfa: true });
    const claims = (await exchange(callback, await discover(oidc.ClientSecretBasic(CLIENT.clientSecret)))).claims();
    assert.deepEqual(claims?.['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(claims?.['acr'], UPSTREAM_ACR.mfa);
  });

  it('a wrong password shows the form again with 401', async () => {
    const { url } = await authorize();
    const interaction = await browser.get(url);
    const form = await browser.get(interaction.location!);
    assert.equal(form.status, 200);
    const uid = /action="\/interaction\/([\w-]+)\/login"/.exec(form.body)?.[1];
    const refused = await browser.post(`/interaction/${uid}/login`, { username: 'alice', password: 'wrong' });
    assert.equal(refused.status, 401);
    assert.match(refused.body, /name="password"/);
    await assert.rejects(loginUpstream(browser, url, { username: 'alice', password: 'wrong' }), /401/);
  });

  it('Cancel ends the authorization with error=access_denied', async () => {
    const { url, state } = await authorize();
    const callback = new URL(await loginUpstream(browser, url, { cancel: true }));
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('state'), state);
  });

  it('PKCE is required', async () => {
    const { url } = await authorize();
    const withoutPkce = new URL(url);
    withoutPkce.searchParams.delete('code_challenge');
    withoutPkce.searchParams.delete('code_challenge_method');
    const callback = new URL(await followUpstream(browser, withoutPkce.href));
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
    assert.match(callback.searchParams.get('error_description') ?? '', /PKCE/);
  });

  it('tamperIdToken re-signs with the upstream key: only the tampered claim fails', async () => {
    upstream.tamperIdToken = (claims) => ({ ...claims, email: 'rewritten@corp.test' });
    const first = await authorize();
    const rewritten = (await first.exchange(await loginUpstream(browser, first.url, { username: 'alice', password: ALICE.password }))).claims();
    assert.equal(rewritten?.['email'], 'rewritten@corp.test', 'a re-signed token still verifies');

    upstream.tamperIdToken = (claims) => ({ ...claims, aud: 'someone-else' });
    const second = await authorize({ prompt: 'login' });
    const callback = await loginUpstream(browser, second.url, { username: 'alice', password: ALICE.password });
    await assert.rejects(second.exchange(callback), (err) => err instanceof oidc.ClientError && err.cause instanceof Error && /"aud"/.test(err.cause.message));
  });

  it('stop() refuses connections; restart() serves again on the same port, with the same key and session', async () => {
    const { url, exchange } = await authorize();
    await exchange(await loginUpstream(browser, url, { username: 'alice', password: ALICE.password }));
    await upstream.stop();
    await assert.rejects(discover());
    await upstream.restart();
    config = await discover();
    const again = await authorize();
    const claims = (await again.exchange(await followUpstream(browser, again.url))).claims();
    assert.equal(claims?.sub, ALICE.sub, 'the upstream session survived the restart');
  });

  it('an upstream session skips the form, unless prompt=login asks for a new login', async () => {
    const first = await authorize();
    const firstAuthTime = (await first.exchange(await loginUpstream(browser, first.url, { username: 'alice', password: ALICE.password }))).claims()?.auth_time;

    const silent = await authorize();
    await assert.rejects(loginUpstream(browser, silent.url, { username: 'alice', password: ALICE.password }), /no login form/);
    upstream.users.get('alice')!.email = 'alice.new@corp.test';
    const sso = (await silent.exchange(await followUpstream(browser, silent.url))).claims();
    assert.equal(sso?.auth_time, firstAuthTime);
    assert.equal(sso?.['email'], 'alice.new@corp.test', 'claims are read from the users map afresh');

    const forced = await authorize({ prompt: 'login' });
    const mfa = (await forced.exchange(await loginUpstream(browser, forced.url, { username: 'alice', password: ALICE.password, mfa: true }))).claims();
    assert.equal(mfa?.['acr'], UPSTREAM_ACR.mfa);
  });
});
