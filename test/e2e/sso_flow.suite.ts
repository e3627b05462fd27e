import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { AuditEvent } from '../../audit/audit_log.ts';
import { manualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects, CLIENT_ORIGIN } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, landOnPage, totpNow, uidIn } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type AuthRequest, type oidc } from '../helpers/rp.ts';
import { redisDump } from '../helpers/redis_dump.ts';
import { CORP_SECRET, enterEmail, freePort, LOCAL_SECRET, startSsoWorld, type SsoWorld } from '../helpers/sso.ts';
import { loginUpstream, UPSTREAM_ACR, type UpstreamIdp } from '../helpers/upstream_idp.ts';

/** The upstream's people: each a user of the company's IdP, not (necessarily) of ours. */
const UPSTREAM_USERS = [
  { username: 'ann', sub: 'up-ann', email: 'ann@corp.test', emailVerified: true, password: 'ann-upstream' },
  { username: 'pat', sub: 'up-pat', email: 'pat@corp.test', emailVerified: true, password: 'pat-upstream' },
  { username: 'stranger', sub: 'up-stranger', email: 'stranger@corp.test', emailVerified: true, password: 'stranger-upstream' },
  { username: 'unverified', sub: 'up-unverified', email: 'ann@corp.test', emailVerified: false, password: 'unverified-upstream' },
  { username: 'bob', sub: 'up-bob', email: 'bob@acme.test', emailVerified: true, password: 'bob-upstream' },
  { username: 'bob-unverified', sub: 'up-bob-unverified', email: 'bob@acme.test', emailVerified: false, password: 'bob-upstream' },
  { username: 'eve', sub: 'up-eve', email: 'eve@corp.test', emailVerified: true, password: 'eve-upstream' },
  { username: 'lee', sub: 'up-lee', email: 'lee@local.test', emailVerified: true, password: 'lee-upstream' },
  { username: 'newbie', sub: 'up-newbie', email: 'newbie@local.test', emailVerified: true, password: 'newbie-upstream', name: 'New Bie' },
];

function seedFor(upstream: string, deadIssuer: string): unknown {
  const member = (company: string, payRoles: string[] = []) => ({ company, payRoles });
  return {
    companies: [
      { id: 'corp', name: 'Corp Inc', emailDomains: ['corp.test'], mfa: { required: true, reverify: '7d' }, sso: { type: 'oidc', issuer: upstream, clientId: 'corp-client', clientSecret: CORP_SECRET, mfa: 'idp', jit: false, mfaAcrValues: [UPSTREAM_ACR.mfa] } },
      { id: 'localco', name: 'Local Co', emailDomains: ['local.test'], mfa: { required: true }, sso: { type: 'oidc', issuer: upstream, clientId: 'local-client', clientSecret: LOCAL_SECRET, mfa: 'local', jit: true } },
      { id: 'downco', name: 'Down Co', emailDomains: ['down.test'], sso: { type: 'oidc', issuer: deadIssuer, clientId: 'down-client', clientSecret: 'down-secret', mfa: 'idp' } },
      { id: 'acme', name: 'Acme', emailDomains: ['acme.test'] },
    ],
    users: [
      // A member of a company without SSO too: still logs in by the SSO of her email's domain.
      { id: 'usr_ann', email: 'ann@corp.test', name: 'Ann', password: 'ann-local-password', memberships: [member('corp'), member('acme')] },
      { id: 'usr_pat', email: 'pat@corp.test', name: 'Pat', memberships: [member('corp', ['payee'])] },
      { id: 'usr_bob', email: 'bob@acme.test', name: 'Bob', password: 'bob-local-password', memberships: [member('acme')] },
      { id: 'usr_eve', email: 'eve@corp.test', name: 'Eve', memberships: [member('acme')] },
      { id: 'usr_lee', email: 'lee@local.test', name: 'Lee', memberships: [member('localco')] },
    ],
    clients: [{ client_id: 'web', client_secret: CLIENTS.web.secret, redirect_uris: [CLIENTS.web.redirectUri], post_logout_redirect_uris: [CLIENTS.web.postLogout], first_party: true }],
  };
}

/** Upstream SSO end to end: our IdP, a second oidc-provider as the company's IdP, openid-client as the app. */
export function ssoFlowSuite(backend: () => Backend): void {
  let world: SsoWorld;
  let upstream: UpstreamIdp;
  let running: RunningIdp;
  let rp: oidc.Configuration;
  let clock: ReturnType<typeof manualClock>;
  let where: Backend;
  const logLines: string[] = [];

  before(async () => {
    const deadIssuer = `http://127.0.0.1:${await freePort()}`;
    world = await startSsoWorld(UPSTREAM_USERS, (issuer) => seedFor(issuer, deadIssuer));
    upstream = world.upstream;
  });
  after(async () => {
    await world.close();
  });
  beforeEach(async () => {
    world.reset();
    logLines.length = 0;
    clock = manualClock(Date.now());
    const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
    where = backend();
    running = await startIdp(where, {
      port: world.port,
      clock,
      logger,
      env: { SEED_FILE: world.seedFile, SESSION_TTL_SECONDS: String(30 * 86400) },
    });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  afterEach(async () => {
    await running.close();
  });

  /** From the IdP's redirect back to us, through our callback, to where our IdP stops or sends the app. */
  const backFromUpstream = async (browser: Browser, callback: string): Promise<{ callback?: string; page: Page }> => {
    assert.ok(callback.startsWith(`${running.issuer}/sso/callback?`), `the IdP answers the fixed redirect URI: ${callback}`);
    return followRedirects(browser, await browser.get(callback));
  };

  /** A whole SSO login: our email page, the IdP's form, back; returns where it ended. */
  const ssoLogin = async (
    login: { username: string; password?: string; mfa?: boolean } | { cancel: true },
    options: { browser?: Browser; upstreamBrowser?: Browser; params?: Record<string, string>; email?: string } = {},
  ) => {
    const browser = options.browser ?? new Browser(running.issuer);
    const upstreamBrowser = options.upstreamBrowser ?? new Browser(upstream.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web, options.params);
    const user = 'username' in login ? UPSTREAM_USERS.find((u) => u.username === login.username)! : undefined;
    const { uid, sent } = await enterEmail(browser, request, options.email ?? user?.email ?? 'ann@corp.test');
    assert.equal(sent.status, 303, sent.body.slice(0, 300));
    assert.ok(sent.location?.startsWith(`${upstream.issuer}/`), `sent to the company's IdP, not ${sent.location}`);
    const answer = await loginUpstream(upstreamBrowser, sent.location!, 'cancel' in login ? login : { username: login.username, password: login.password ?? user!.password, mfa: login.mfa ?? false });
    const end = await backFromUpstream(browser, answer);
    return { browser, upstreamBrowser, request, uid, sent, answer, ...end };
  };

  /** Follows our own redirects from an authorization URL; returns the redirect that leaves us (to the IdP or the app). */
  const untilLeaving = async (browser: Browser, url: string): Promise<Page> => {
    let page = await browser.get(url);
    for (let hops = 0; hops < 10 && page.location?.startsWith('/'); hops++) page = await browser.get(page.location);
    return page;
  };

  const idToken = async (request: AuthRequest, callback: string | undefined) => {
    assert.ok(callback, 'expected a code for the app');
    return (await exchangeCode(rp, callback, request)).claims()!;
  };

  const companyEvents = (companyId: string): Promise<AuditEvent[]> => running.idp.stores.audit.forCompany(companyId, 50);
  const failures = async (companyId: string): Promise<string[]> =>
    (await companyEvents(companyId)).filter((e) => e.type === 'sso.login_failed').map((e) => e.detail?.['reason'] ?? '');

  describe('mfa: "idp"', () => {
    it('logs in with no MFA screen: amr fed, single-factor acr, auth_time from the IdP; the request upstream is code + PKCE + nonce in query mode', async () => {
      const { callback, page, request, sent } = await ssoLogin({ username: 'ann' });
      assert.ok(callback, `expected a code, stopped at ${page.status}: ${page.body.slice(0, 300)}`);
      const claims = await idToken(request, callback);
      assert.equal(claims.sub, 'usr_ann');
      assert.deepEqual(claims.amr, ['fed', 'pwd']);
      assert.equal(claims.acr, ACR.singleFactor);
      const sentTo = new URL(sent.location!).searchParams;
      assert.equal(sentTo.get('login_hint'), 'ann@corp.test');
      assert.equal(sentTo.get('response_mode'), 'query');
      assert.equal(sentTo.get('code_challenge_method'), 'S256');
      assert.equal(sentTo.get('redirect_uri'), `${running.issuer}/sso/callback`);
      assert.equal(sentTo.get('client_id'), 'corp-client');
      assert.ok(sentTo.get('nonce') && sentTo.get('state'));
      assert.equal(sentTo.get('acr_values'), null, 'no step-up asked');
      assert.ok(typeof claims.auth_time === 'number' && Math.abs(claims.auth_time - Date.now() / 1000) < 60);
      assert.deepEqual((await running.idp.stores.audit.forUser('usr_ann', 5)).map((e) => e.type), ['sso.login']);
    });

    it("the app's max_age and prompt=login go to the IdP too", async () => {
      const { sent, callback, request } = await ssoLogin({ username: 'ann' }, { params: { max_age: '300', prompt: 'login' } });
      const sentTo = new URL(sent.location!).searchParams;
      assert.equal(sentTo.get('max_age'), '300');
      assert.equal(sentTo.get('prompt'), 'login');
      await idToken(request, callback);
    });

    it('an IdP that proved MFA gives the multi-factor acr, its amr kept', async () => {
      const { callback, request } = await ssoLogin({ username: 'ann', mfa: true });
      const claims = await idToken(request, callback);
      assert.deepEqual(claims.amr, ['fed', 'pwd', 'otp', 'mfa']);
      assert.equal(claims.acr, ACR.multiFactor);
    });

    it('a Procore Pay role still needs our MFA after the IdP, even one that did MFA', async () => {
      const { callback, page } = await ssoLogin({ username: 'pat', mfa: true });
      assert.equal(callback, undefined);
      assert.match(page.body, /Two-Factor Authentication Required/);
    });

    it('step-up: acr_values is forwarded, and an IdP that does not prove MFA ends in unmet_authentication_requirements', async () => {
      const params = { acr_values: ACR.multiFactor };
      const refused = await ssoLogin({ username: 'ann' }, { params });
      assert.equal(new URL(refused.sent.location!).searchParams.get('acr_values'), UPSTREAM_ACR.mfa);
      assert.ok(refused.callback?.startsWith(CLIENT_ORIGIN));
      assert.equal(new URL(refused.callback!).searchParams.get('error'), 'unmet_authentication_requirements');
      assert.deepEqual(await failures('corp'), ['mfa_not_proven']);

      const proved = await ssoLogin({ username: 'ann', mfa: true }, { params });
      assert.equal((await idToken(proved.request, proved.callback)).acr, ACR.multiFactor);
    });

    it('step-up of a single-factor SSO session goes back to the IdP with prompt=login and the MFA acr', async () => {
      const first = await ssoLogin({ username: 'ann' });
      await idToken(first.request, first.callback);
      const request = await authorizationRequest(rp, CLIENTS.web, { acr_values: ACR.multiFactor });
      const sent = await untilLeaving(first.browser, request.url.href);
      assert.equal(sent.status, 303);
      const upstreamUrl = new URL(sent.location!);
      assert.equal(upstreamUrl.origin, upstream.issuer, 'straight to the IdP, no email page');
      assert.equal(upstreamUrl.searchParams.get('prompt'), 'login');
      assert.equal(upstreamUrl.searchParams.get('acr_values'), UPSTREAM_ACR.mfa);
      const answer = await loginUpstream(first.upstreamBrowser, sent.location!, { username: 'ann', password: 'ann-upstream', mfa: true });
      const { callback } = await backFromUpstream(first.browser, answer);
      assert.equal((await idToken(request, callback)).acr, ACR.multiFactor);
    });

    it('re-verification: a session older than the company period goes through the IdP again', async () => {
      const first = await ssoLogin({ username: 'ann' });
      await idToken(first.request, first.callback);
      clock.advance(7 * 86400 * 1000);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const sent = await untilLeaving(first.browser, request.url.href);
      assert.equal(sent.status, 303, sent.body.slice(0, 400));
      assert.equal(new URL(sent.location!).searchParams.get('prompt'), 'login', sent.location);
      // loginUpstream throws unless the IdP shows its form again.
      const answer = await loginUpstream(first.upstreamBrowser, sent.location!, { username: 'ann', password: 'ann-upstream' });
      const { callback } = await backFromUpstream(first.browser, answer);
      await idToken(request, callback);
    });
  });

  describe('mfa: "local"', () => {
    it('enrolls after the SSO login, then challenges on the next one', async () => {
      const first = await ssoLogin({ username: 'lee', mfa: true });
      assert.equal(first.callback, undefined, 'the IdP’s MFA does not count for mfa: "local"');
      assert.match(first.page.body, /Two-Factor Authentication Required/);
      const { secret, resume } = await enrollTotp(first.browser, uidIn(first.page), clock);
      const { callback } = await followRedirects(first.browser, resume);
      const claims = await idToken(first.request, callback);
      assert.deepEqual(claims.amr, ['fed', 'pwd', 'otp', 'mfa'], 'the IdP’s password, our otp: its own otp and mfa are not counted twice');
      assert.equal(claims.acr, ACR.multiFactor);

      clock.advance(30_000); // a new time step: the enrollment’s code is spent
      const next = await ssoLogin({ username: 'lee' });
      assert.match(next.page.body, /name="code"/, 'the challenge, in a new browser');
      const verified = await next.browser.post(`/interaction/${uidIn(next.page)}/mfa/verify`, { code: await totpNow(secret, clock) });
      const done = await followRedirects(next.browser, verified);
      assert.ok(done.callback, `${done.page.status} ${done.page.body.slice(0, 600)}`);
      assert.equal((await idToken(next.request, done.callback)).acr, ACR.multiFactor);
    });
  });

  describe('accounts', () => {
    it('JIT on: an unknown user of the domain gets an active membership without permissions', async () => {
      const { page } = await ssoLogin({ username: 'newbie' });
      assert.match(page.body, /Two-Factor Authentication Required/, 'the company requires MFA: enrollment next');
      const user = await running.idp.stores.directory.findUserByEmail('newbie@local.test');
      assert.ok(user);
      assert.equal(user.name, 'New Bie');
      assert.equal(user.passwordHash, undefined);
      assert.deepEqual(await running.idp.stores.directory.membershipsOfUser(user.id), [
        { userId: user.id, companyId: 'localco', status: 'active', permissions: { companyAdmin: 'none', directory: 'none' }, payRoles: [] },
      ]);
      assert.ok((await companyEvents('localco')).some((e) => e.type === 'sso.user_created' && e.userId === user.id));
    });

    it('JIT off: an unknown user gets the "no account" page (403) and a company event', async () => {
      const { page, callback } = await ssoLogin({ username: 'stranger' });
      assert.equal(callback, undefined);
      assert.equal(page.status, 403);
      assert.match(page.body, /Your company&#39;s sign-in worked, but there is no account for you here\. Ask your administrator\./);
      assert.equal(await running.idp.stores.directory.findUserByEmail('stranger@corp.test'), undefined);
      assert.deepEqual(await failures('corp'), ['no_account']);
    });

    it("refuses another company's user, whatever the IdP says: an email outside the company's domains, or a non-member", async () => {
      for (const username of ['bob', 'eve']) {
        const { page } = await ssoLogin({ username }, { email: 'ann@corp.test' });
        assert.equal(page.status, 403, username);
        assert.match(page.body, /no account for you here/);
      }
      const unverified = await ssoLogin({ username: 'bob-unverified' }, { email: 'ann@corp.test' });
      assert.equal(unverified.page.status, 403);
      assert.deepEqual(await failures('corp'), ['email_unverified', 'other_company', 'other_company']);
      assert.deepEqual(await running.idp.stores.audit.forUser('usr_bob', 5), [], 'nothing in the other user’s name');
      assert.deepEqual(await companyEvents('acme'), [], 'nor in the other company’s log');
    });

    it('refuses an unverified upstream email', async () => {
      const { page } = await ssoLogin({ username: 'unverified' }, { email: 'ann@corp.test' });
      assert.equal(page.status, 403);
      assert.match(page.body, /did not confirm your email address/);
      assert.deepEqual(await failures('corp'), ['email_unverified']);
    });

    it('takes Entra ID’s xms_edov as the email’s verification when email_verified is absent', async () => {
      upstream.tamperIdToken = ({ email_verified: _dropped, ...claims }) => ({ ...claims, xms_edov: true });
      const { callback, request } = await ssoLogin({ username: 'ann' });
      assert.equal((await idToken(request, callback)).sub, 'usr_ann');
      upstream.tamperIdToken = ({ email_verified: _dropped, ...claims }) => ({ ...claims, xms_edov: 'true' });
      assert.equal((await ssoLogin({ username: 'pat' })).page.status, 403, 'a string is not a verification');
    });

    it('keeps the account by sub when the upstream email changes afterwards', async () => {
      await idToken(...(await ssoLogin({ username: 'ann' }).then((r) => [r.request, r.callback] as const)));
      upstream.users.get('ann')!.email = 'ann.renamed@corp.test';
      const again = await ssoLogin({ username: 'ann' });
      assert.equal((await idToken(again.request, again.callback)).sub, 'usr_ann');
    });
  });

  describe('passwords for an SSO domain', () => {
    it('the email form sends the user to the IdP, and a direct POST of a password is refused with the way there', async () => {
      const browser = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { uid, sent } = await enterEmail(browser, request, 'Ann@CORP.test');
      assert.equal(sent.status, 303);
      assert.ok(sent.location?.startsWith(upstream.issuer));
      const refused = await browser.post(`/interaction/${uid}/password`, { email: 'ann@corp.test', password: 'ann-local-password' });
      assert.equal(refused.status, 403);
      assert.match(refused.body, /Continue to Corp Inc sign-in/);
      assert.doesNotMatch(refused.body, /Incorrect email or password/);
      const via = await browser.post(`/interaction/${uid}/email`, { email: 'ann@corp.test' });
      assert.ok(via.location?.startsWith(upstream.issuer), 'the button leads to the company sign-in');
    });
  });

  describe('failures: a page, an audit event, never a login', () => {
    it('the IdP returns an error (cancelled)', async () => {
      const { page, callback } = await ssoLogin({ cancel: true });
      assert.equal(callback, undefined);
      assert.equal(page.status, 401);
      assert.match(page.body, /Your company&#39;s sign-in was cancelled or failed/);
      assert.deepEqual(await failures('corp'), ['upstream_error']);
    });

    it('a tampered state, and a replayed callback', async () => {
      const browser = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { sent } = await enterEmail(browser, request, 'ann@corp.test');
      const answer = new URL(await loginUpstream(new Browser(upstream.issuer), sent.location!, { username: 'ann', password: 'ann-upstream' }));
      const state = answer.searchParams.get('state')!;
      const tampered = new URL(answer);
      tampered.searchParams.set('state', `${state.slice(0, -4)}AAAA`);
      const bad = await backFromUpstream(browser, tampered.href);
      assert.equal(bad.page.status, 400);
      assert.equal(bad.callback, undefined);
      const replay = await backFromUpstream(browser, answer.href);
      assert.equal(replay.page.status, 400);
      assert.match(replay.page.body, /already used/);
      assert.deepEqual(await failures('corp'), ['replayed_state', 'state_mismatch']);
      const nothing = await browser.get(`/sso/callback?state=nope&code=x`);
      assert.equal(nothing.status, 400);
    });

    for (const [name, tamper, reason] of [
      ['a nonce mismatch', (c: Record<string, unknown>) => ({ ...c, nonce: 'another-nonce' }), 'nonce_mismatch'],
      ['an ID token for another audience', (c: Record<string, unknown>) => ({ ...c, aud: 'someone-else' }), 'wrong_audience'],
      ['an expired ID token', (c: Record<string, unknown>) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }), 'expired_id_token'],
    ] as const) {
      it(name, async () => {
        upstream.tamperIdToken = tamper;
        const { page, callback } = await ssoLogin({ username: 'ann' });
        assert.equal(callback, undefined);
        assert.equal(page.status, 401);
        assert.match(page.body, /could not be verified/);
        assert.deepEqual(await failures('corp'), [reason]);
      });
    }

    it('two callbacks of one answer at once: one login, the other refused', async () => {
      const browser = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { uid, sent } = await enterEmail(browser, request, 'ann@corp.test');
      const answer = new URL(await loginUpstream(new Browser(upstream.issuer), sent.location!, { username: 'ann', password: 'ann-upstream' }));
      const inInteraction = `/interaction/${uid}/sso/callback${answer.search}`;
      const results = await Promise.all([browser.get(inInteraction), browser.get(inInteraction), browser.get(inInteraction)]);
      assert.deepEqual(results.map((page) => page.status).sort(), [303, 400, 400]);
      assert.equal((await running.idp.stores.audit.forUser('usr_ann', 10)).filter((e) => e.type === 'sso.login').length, 1);
    });

    it('an IdP time in the future (its clock far ahead, or a lie): refused, never a session that does not age', async () => {
      upstream.tamperIdToken = (claims) => ({ ...claims, auth_time: Number(claims['iat']) + 365 * 86400 });
      const { page, callback } = await ssoLogin({ username: 'ann' });
      assert.equal(callback, undefined);
      assert.equal(page.status, 401);
      assert.deepEqual(await failures('corp'), ['invalid_id_token']);
    });

    it('a used callback repeated without a cookie is recorded once, not once per request', async () => {
      const browser = new Browser(running.issuer);
      const { uid } = await enterEmail(browser, await authorizationRequest(rp, CLIENTS.web), 'nobody@corp.test');
      assert.equal((await browser.get(`/interaction/${uid}/sso/callback?state=x`)).status, 400, 'spends the sign-in');
      const anonymous = new Browser(running.issuer);
      for (let i = 0; i < 10; i++) {
        const page = await landOnPage(anonymous, await anonymous.get(`/sso/callback?state=${uid}.${'A'.repeat(43)}&code=x`));
        assert.equal(page.status, 400);
      }
      assert.deepEqual(await failures('corp'), ['replayed_state', 'state_mismatch']);
    });

    it("the IdP's error is recorded only as an error code", async () => {
      const browser = new Browser(running.issuer);
      const { uid, sent } = await enterEmail(browser, await authorizationRequest(rp, CLIENTS.web), 'nobody@corp.test');
      const state = new URL(sent.location!).searchParams.get('state')!;
      const page = await browser.get(`/interaction/${uid}/sso/callback?state=${state}&iss=${encodeURIComponent(upstream.issuer)}&error=${'x'.repeat(12_000)}`);
      assert.equal(page.status, 401);
      const [event] = await companyEvents('corp');
      assert.deepEqual(event?.detail, { reason: 'upstream_error', company: 'corp', upstream: 'invalid' });
    });

    it('an IdP that is down: 503 naming it at the email step', async () => {
      const browser = new Browser(running.issuer);
      const { sent } = await enterEmail(browser, await authorizationRequest(rp, CLIENTS.web), 'someone@down.test');
      assert.equal(sent.status, 503);
      assert.match(sent.body, /Down Co/);
      assert.deepEqual(await failures('downco'), ['upstream_unavailable']);
    });

    it('the IdP stopped mid-flow: 503, and the next login works once it is back', async () => {
      const browser = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { sent } = await enterEmail(browser, request, 'ann@corp.test');
      const answer = await loginUpstream(new Browser(upstream.issuer), sent.location!, { username: 'ann', password: 'ann-upstream' });
      await upstream.stop();
      try {
        const down = await backFromUpstream(browser, answer);
        assert.equal(down.page.status, 503);
        assert.match(down.page.body, /Corp Inc/);
        assert.deepEqual(await failures('corp'), ['upstream_unavailable']);
      } finally {
        await upstream.restart();
      }
      const { callback, request: again, page } = await ssoLogin({ username: 'ann' });
      assert.ok(callback, `${page.status} ${(await failures('corp')).join()}`);
      assert.equal((await idToken(again, callback)).sub, 'usr_ann');
    });
  });

  it('the connection secret is in no log line and, on Redis, in no stored value', async () => {
    const { callback, request } = await ssoLogin({ username: 'ann' });
    await idToken(request, callback);
    await ssoLogin({ username: 'lee' });
    const log = logLines.join('\n');
    assert.ok(log.includes('sso.login'), 'the log was captured');
    for (const secret of [CORP_SECRET, LOCAL_SECRET]) assert.ok(!log.includes(secret), 'secret in the log');
    if (where.kind === 'redis') {
      const dump = await redisDump(where.topology, where.prefix);
      assert.ok(dump.includes('sealedClientSecret'), 'the connections are stored');
      for (const secret of [CORP_SECRET, LOCAL_SECRET]) assert.ok(!dump.includes(secret), 'secret in Redis');
    }
  });
}
