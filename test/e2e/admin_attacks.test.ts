import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseEncryptionKeys } from '../../config/keys.ts';
import type { User } from '../../directory/types.ts';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { SecretBox } from '../../lib/secret_box.ts';
import { ACR } from '../../mfa/assurance.ts';
import { ADA, ADMIN_SEED, consoleSignIn, csrfIn, follow, noticeIn, RAY, signInAtProvider, TOM, type Person } from '../helpers/admin.ts';
import { ADMIN_SCRIPT, adminToken, callApi, callbackOf, exchange, postAsSeedClient, refreshAs, signInForTokens, startAuthorization, WEB } from '../helpers/admin_api.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { totpNow, uidIn } from '../helpers/mfa.ts';
import { RedisServer, redisServerInstalled } from '../helpers/redis_server.ts';
import { oidc } from '../helpers/rp.ts';
import { userinfoStatus } from '../helpers/token_endpoint.ts';

/**
 * A security review's attacks on the company admin console (/admin) and the admin API (/api/v1),
 * against running instances on both stores. Each test names what it tries; those that held stay as
 * regression tests.
 */

const MFA = '/admin/companies/ridge/security/mfa';
const RESET = `${MFA}/reset`;
const API_RIDGE = '/api/v1/companies/ridge';
const META = { ip: '192.0.2.1', userAgent: 'attack-test' };
/** Our own MFA key, so that a test can give a user an authenticator app directly in the store. */
const MFA_KEYS = `attack:${randomBytes(32).toString('base64')}`;
const box = new SecretBox(parseEncryptionKeys(MFA_KEYS));

/** Oli, made a second full admin of ridge by some tests: an admin who could carry out Ada's changes. */
const OLI: Person = { id: 'usr_oli', email: 'oli@other.test', password: 'oli-password-1', secret: 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U' };

onEachBackend('attacks on the admin console and API', (backend: () => Backend) => {
  let running: RunningIdp;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = manualClock();
    running = await startIdp(backend(), { clock, env: { SEED_FILE: ADMIN_SEED, MFA_ENCRYPTION_KEYS: MFA_KEYS } });
  });
  afterEach(async () => {
    await running.close();
  });

  const browser = (): Browser => new Browser(running.issuer);
  const directory = () => running.idp.stores.directory;
  const tomHasApp = async (): Promise<boolean> => (await running.idp.stores.mfaFactors.factorsOf(TOM.id)).totp;
  const resetsOf = async (userId: string): Promise<number> => (await running.idp.stores.audit.forUser(userId, 50)).filter((e) => e.type === 'mfa.reset').length;
  const makeOliAdminOfRidge = (): Promise<void> =>
    directory().saveMembership({ userId: OLI.id, companyId: 'ridge', status: 'active', permissions: { companyAdmin: 'admin', directory: 'admin' }, payRoles: [] });
  const giveTomHisApp = (): Promise<void> => running.idp.stores.mfaFactors.saveTotp(TOM.id, { sealedSecret: box.seal(TOM.secret!, TOM.id), createdAt: clock() }, 0);
  const addUser = async (id: string, email: string, name = id): Promise<void> => {
    const user: User = { id, email, emailVerified: true, name, givenName: undefined, familyName: undefined, passwordHash: undefined, status: 'active' };
    await directory().saveUser(user);
    await directory().saveMembership({ userId: id, companyId: 'ridge', status: 'active', permissions: { companyAdmin: 'none', directory: 'none' }, payRoles: [] });
  };

  /** The provider's sign-in steps, stopping at the redirect back to the console's callback (not followed). */
  async function signInAtProviderUntilCallback(b: Browser, loginPage: Page, who: Person): Promise<string> {
    const uid = uidIn(loginPage);
    await b.post(`/interaction/${uid}/email`, { email: who.email });
    let page = await followUntilCallback(b, await b.post(`/interaction/${uid}/password`, { email: who.email, password: who.password }));
    if (who.secret !== undefined && page.status === 200) {
      clock.advance(30_000);
      page = await followUntilCallback(b, await b.post(`/interaction/${uidIn(page)}/mfa/verify`, { code: await totpNow(who.secret, clock) }));
    }
    const location = page.location ?? '';
    assert.match(location, /\/admin\/callback\?/, `${page.status} ${location} ${page.body.slice(0, 200)}`);
    return location;
  }

  async function followUntilCallback(b: Browser, page: Page): Promise<Page> {
    let current = page;
    for (let hops = 0; hops < 20 && (current.status === 302 || current.status === 303); hops++) {
      if (/\/admin\/callback\?/.test(current.location ?? '')) return current;
      current = await b.get(current.location!);
    }
    return current;
  }

  describe('the console session and its forms (CSRF)', () => {
    it('held: the cookie is HttpOnly, SameSite=Lax, scoped to /admin, and holds only a random id', async () => {
      const b = browser();
      const start = await b.get('/admin');
      const cookie = start.headers.getSetCookie().find((c) => c.startsWith('admin_session='));
      assert.ok(cookie);
      assert.match(cookie, /; path=\/admin/i);
      assert.match(cookie, /; samesite=lax/i);
      assert.match(cookie, /; httponly/i);
      assert.match(cookie, /^admin_session=[A-Za-z0-9_-]{43};/);
    });

    it('held: a CSRF token of another session (the same admin in another browser) is refused', async () => {
      const mine = browser();
      const theirs = browser();
      await consoleSignIn(mine, ADA, clock, RESET);
      const other = await consoleSignIn(theirs, ADA, clock, RESET);
      const posted = await mine.post(RESET, { _csrf: csrfIn(other), email: TOM.email, identityVerified: 'on' });
      assert.equal(posted.status, 403);
      assert.ok(await tomHasApp());
    });

    it('held: the CSRF token of a session that logged out does not work in the next one', async () => {
      const b = browser();
      const before = await consoleSignIn(b, ADA, clock, RESET);
      const oldToken = csrfIn(before);
      await b.post('/admin/logout', { _csrf: oldToken });
      const again = await follow(b, await b.get(RESET));
      // The provider session may still be there: then the console signs in again without a form.
      if (again.status === 200 && !/admin\/companies/.test(again.body)) await signInAtProvider(b, again, ADA, clock);
      const posted = await b.post(RESET, { _csrf: oldToken, email: TOM.email, identityVerified: 'on' });
      assert.equal(posted.status, 403);
      assert.ok(await tomHasApp());
    });

    it('held: logout, confirmed at the provider, leaves nothing that signs the console in again silently', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock);
      const out = await b.post('/admin/logout', { _csrf: csrfIn(page) });
      const confirm = await follow(b, out);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
      assert.ok(xsrf, confirm.body.slice(0, 300));
      await follow(b, await b.post('/session/end/confirm', { xsrf, logout: 'yes' }));
      const again = await follow(b, await b.get('/admin'));
      assert.match(again.body, /name="email"/, 'the provider asks who is signing in');
      assert.doesNotMatch(again.body, /Delta Works/);
    });

    it('held: a cross-site POST (SameSite=Lax: no cookie) or one with the token twice changes nothing', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      const csrf = csrfIn(page);
      const crossSite = await new Browser(running.issuer).post(RESET, { _csrf: csrf, email: TOM.email, identityVerified: 'on' });
      assert.equal(crossSite.status, 403);
      const twice = await b.post(RESET, { _csrf: [csrf, csrf] as unknown as string, email: TOM.email, identityVerified: 'on' });
      assert.equal(twice.status, 403);
      const asArray = await rawPost(running.issuer, RESET, b.cookieHeader(RESET), `_csrf[]=${csrf}&email=${encodeURIComponent(TOM.email)}&identityVerified=on`, 'application/x-www-form-urlencoded');
      assert.equal(asArray.status, 403);
      const asJson = await rawPost(running.issuer, RESET, b.cookieHeader(RESET), JSON.stringify({ _csrf: csrf, email: TOM.email, identityVerified: 'on' }), 'application/json');
      assert.ok(asJson.status >= 400 && asJson.status < 500, `JSON to a console form: ${asJson.status}`);
      assert.ok(await tomHasApp());
    });

    it('held: a planted admin_session cookie (fixation) is never the signed-in session', async () => {
      // The attacker gets a session id of their own from the console, and plants it in Ada's browser.
      const attacker = browser();
      await attacker.get('/admin');
      const planted = /admin_session=([^;]+)/.exec(attacker.cookieHeader('/admin'))?.[1];
      assert.ok(planted);
      const victim = browser();
      await plantCookie(victim, `admin_session=${planted}; Path=/admin`);
      assert.match(victim.cookieHeader('/admin'), new RegExp(`admin_session=${planted}`));
      const page = await consoleSignIn(victim, ADA, clock, MFA);
      assert.equal(page.status, 200);
      const now = /admin_session=([^;]+)/.exec(victim.cookieHeader('/admin'))?.[1];
      assert.notEqual(now, planted, 'the sign-in moved to a new session id');
      const attackerView = await attacker.get(MFA);
      assert.equal(attackerView.status, 303, 'the planted id is not signed in');
      assert.doesNotMatch(attackerView.body, /Tom Smith/);
    });

    it('held: a callback made in another browser (login CSRF, code injection) does not sign anyone in', async () => {
      // The attacker signs in as Ray and keeps the callback instead of following it.
      const attacker = browser();
      const start = await attacker.get('/admin');
      const atProvider = await follow(attacker, start);
      const done = await signInAtProviderUntilCallback(attacker, atProvider, RAY);
      const victim = browser();
      await consoleSignIn(victim, ADA, clock, MFA);
      const injected = await victim.get(done);
      assert.equal(injected.status, 400);
      const mine = await victim.get('/admin');
      assert.match(mine.body, /Delta Works/, 'the victim is still Ada');
      // A browser with no console session at all is refused too.
      assert.equal((await browser().get(done)).status, 400);
      // And the attacker can still not use it twice.
      assert.equal((await attacker.get(done)).status, 303);
      assert.equal((await attacker.get(done)).status, 400, 'a callback replayed');
    });

    it('held: returnTo never leaves the console (open redirect)', async () => {
      const tries = ['/admin//evil.example/', '/admin/..//evil.example', '/admin/%2F%2Fevil.example', '/admin/\\evil.example', '/admin/companies/ridge/security/mfa?next=//evil.example', '/admin@evil.example', '/admin/%5C%5Cevil.example'];
      for (const path of tries) {
        const b = browser();
        const start = await b.get(path);
        if (start.status !== 303) continue; // not a console page: nothing to return to
        const page = await signInAtProviderUntilCallback(b, await follow(b, start), ADA);
        const back = await b.get(page);
        const location = back.location ?? '';
        assert.ok(location.startsWith('/admin') && !location.startsWith('//') && !/^\/admin[^/?]/.test(location) && !location.includes('\\'), `${path} → ${location}`);
        assert.equal(new URL(location, running.issuer).origin, new URL(running.issuer).origin, `${path} → ${location}`);
      }
    });
  });

  describe('a change waiting for re-authentication', () => {
    it('held: is not carried out when another admin signs in on the same browser', async () => {
      await makeOliAdminOfRidge();
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      clock.advance(901_000);
      const posted = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
      assert.equal(posted.status, 303);
      // Oli, a full admin of ridge too, signs in where Ada was asked to.
      const login = await follow(b, posted);
      const uid = uidIn(login);
      await b.post(`/interaction/${uid}/email`, { email: OLI.email });
      const landed = await follow(b, await b.post(`/interaction/${uid}/password`, { email: OLI.email, password: OLI.password }));
      // Another account in the same provider session: the provider ends Ada's session first (a form that posts itself).
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(landed.body)?.[1];
      assert.ok(xsrf, landed.body.slice(0, 300));
      let page2 = await follow(b, await b.post('/session/end/confirm', { xsrf, logout: 'yes' }));
      assert.match(page2.body, /Enter Your 6-digit Verification Code/);
      clock.advance(30_000);
      page2 = await follow(b, await b.post(`/interaction/${uidIn(page2)}/mfa/verify`, { code: await totpNow(OLI.secret!, clock) }));
      assert.equal(page2.status, 200, page2.body.slice(0, 300));
      assert.match(page2.body, /Reset MFA for Users/, 'Oli lands on the page, signed in as himself');
      assert.equal(noticeIn(page2), undefined, 'with no notice of a change');
      assert.ok(await tomHasApp(), 'Ada’s pending reset did not run as Oli');
      assert.equal(await resetsOf(TOM.id), 0);
    });

    it('is carried out once, even when two callbacks of the same sign-in arrive together', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      clock.advance(901_000);
      const posted = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
      const authorize = posted.location!;
      // The same authorization request, completed twice at the provider: two codes for one state.
      const first = await signInAtProviderUntilCallback(b, await follow(b, await b.get(authorize)), ADA);
      const second = await signInAtProviderUntilCallback(b, await follow(b, await b.get(authorize)), ADA);
      const answers = await Promise.all([b.get(first), b.get(second)]);
      assert.equal(await resetsOf(TOM.id), 1, 'the pending reset ran once');
      assert.deepEqual(answers.map((a) => a.status).sort(), [303, 400]);
    });

    it('held: cannot be pushed through by dropping max_age and prompt=login from the authorization URL', async () => {
      // Someone at an unlocked console whose sign-in is stale: the provider session is still there.
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      clock.advance(901_000);
      // oidc-provider dates ID tokens by the system clock, which the test cannot move: the provider
      // session is made older than ADMIN_REAUTH_SECONDS instead (well past the test clock's lead).
      for (const id of await running.idp.stores.oidcAccounts.sessionIdsOf(ADA.id)) {
        const session = await running.idp.app.Session.find(id);
        if (!session?.loginTs) continue;
        session.loginTs -= 3600;
        await session.persist();
      }
      const posted = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
      const authorize = new URL(posted.location!);
      authorize.searchParams.delete('max_age');
      authorize.searchParams.delete('prompt');
      const answer = await followUntilCallback(b, await b.get(authorize.href));
      if (/\/admin\/callback\?/.test(answer.location ?? '')) {
        const back = await follow(b, await b.get(answer.location!));
        assert.doesNotMatch(noticeIn(back) ?? '', /MFA was reset/);
      }
      assert.ok(await tomHasApp(), 'nothing is reset without a fresh authentication');
      assert.equal(await resetsOf(TOM.id), 0);
    });

    it('held: a callback of an earlier sign-in tab, overtaken by a newer one, signs nobody in and runs nothing', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      clock.advance(901_000);
      const posted = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
      const first = await signInAtProviderUntilCallback(b, await follow(b, await b.get(posted.location!)), ADA);
      // Another tab starts a sign-in of its own in the same console session meanwhile.
      await b.post(MFA, { _csrf: csrfIn(page), required: 'on', enforcementDate: '', timeZone: 'UTC', reverify: '12h' });
      assert.equal((await b.get(first)).status, 400, 'the state no longer matches');
      assert.ok(await tomHasApp());
    });

    it('held: a read-only admin’s re-authenticated reset is refused', async () => {
      const b = browser();
      const page = await consoleSignIn(b, RAY, clock, RESET);
      clock.advance(901_000);
      const posted = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
      const done = await signInAtProvider(b, await follow(b, posted), RAY, clock);
      assert.match(noticeIn(done) ?? done.body, /Admin&#39; permissions|'Admin' permissions/);
      assert.ok(await tomHasApp());
      const settings = await b.post(MFA, { _csrf: csrfIn(done), required: 'on', enforcementDate: '', timeZone: 'UTC', reverify: '12h' });
      assert.equal(settings.status, 403);
    });
  });

  describe('crossing companies', () => {
    const odd = ['other', 'OTHER', 'ridge%2F..%2Fother', 'ridge%2fother', '..%2Fother', 'ridge%00', 'ridge%20', '__proto__', 'constructor', 'ridge%22%0D%0AX-Injected:%201', 'r%C3%AFdge', '%2e%2eridge'];

    it('held: the console answers 404 alike for another company and odd ids, on every page and form', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      const csrf = csrfIn(page);
      const missing = await b.get('/admin/companies/no-such/security/mfa');
      for (const id of odd) {
        for (const path of [`/admin/companies/${id}/security/mfa`, `/admin/companies/${id}/security/mfa?format=csv`, `/admin/companies/${id}/security/mfa/reset`, `/admin/companies/${id}/audit`, `/admin/companies/${id}/audit?format=csv`]) {
          const got = await b.get(path);
          assert.ok(got.status === 404 || (got.status === 400 && id.includes('%00')), `${path}: ${got.status}`);
          assert.equal(got.headers.get('x-injected'), null);
          if (got.status === 404) assert.equal(got.body.replace(/Reference: [\w-]+/, ''), missing.body.replace(/Reference: [\w-]+/, ''), path);
        }
        const reset = await b.post(`/admin/companies/${id}/security/mfa/reset`, { _csrf: csrf, email: OLI.email, identityVerified: 'on' });
        assert.ok(reset.status === 404 || reset.status === 400, `${id}: ${reset.status}`);
        const save = await b.post(`/admin/companies/${id}/security/mfa`, { _csrf: csrf, required: '', enforcementDate: '', timeZone: 'UTC', reverify: '12h' });
        assert.ok(save.status === 404 || save.status === 400, `${id}: ${save.status}`);
      }
      assert.ok((await running.idp.stores.mfaFactors.factorsOf(OLI.id)).totp);
      assert.equal((await directory().findCompany('other'))?.mfa.required, true);
    });

    it('held: the API answers 404 alike for another company and odd ids', async () => {
      const { accessToken } = await adminToken(running.issuer, ADA, clock, ACR.multiFactor);
      const missing = await callApi(running.issuer, 'GET', '/api/v1/companies/no-such/mfa-settings', { token: accessToken });
      assert.equal(missing.status, 404);
      for (const id of odd) {
        for (const [method, path, json] of [
          ['GET', 'mfa-settings', undefined],
          ['PUT', 'mfa-settings', { required: false, enforcementDate: null, timeZone: 'UTC', reverify: '12h' }],
          ['GET', 'members/mfa-status', undefined],
          ['POST', 'mfa-resets', { email: OLI.email, identityVerified: true }],
          ['GET', 'audit-events', undefined],
        ] as const) {
          const got = await callApi(running.issuer, method, `/api/v1/companies/${id}/${path}`, { token: accessToken, ...(json ? { json } : {}) });
          assert.ok(got.status === 404 || got.status === 400, `${method} ${id}/${path}: ${got.status}`);
          if (got.status === 404) assert.deepEqual(got.body, missing.body, `${method} ${id}/${path}`);
        }
      }
      assert.ok((await running.idp.stores.mfaFactors.factorsOf(OLI.id)).totp);
      assert.equal((await directory().findCompany('other'))?.mfa.required, true);
    });

    it('held: a user of two companies is reset only by an admin of a company they are in', async () => {
      // Oli is in "other" only; Ada administers ridge and delta. Making delta require MFA changes nothing.
      const delta = await directory().findCompany('delta');
      await directory().saveCompany({ ...delta!, mfa: { ...delta!.mfa, required: true } });
      for (const company of ['ridge', 'delta']) {
        const result = await running.idp.admin.resetMfa(ADA.id, company, { email: OLI.email, identityVerified: true }, META);
        assert.deepEqual(result, { ok: false, reason: 'not_in_directory' });
      }
      // An inactive membership in ridge does not count either.
      await directory().saveMembership({ userId: OLI.id, companyId: 'ridge', status: 'inactive', permissions: { companyAdmin: 'none', directory: 'none' }, payRoles: [] });
      assert.deepEqual(await running.idp.admin.resetMfa(ADA.id, 'ridge', { email: OLI.email, identityVerified: true }, META), { ok: false, reason: 'not_in_directory' });
      // Nor does Ada's inactive admin membership of "other".
      await directory().saveMembership({ userId: ADA.id, companyId: 'other', status: 'inactive', permissions: { companyAdmin: 'admin', directory: 'admin' }, payRoles: [] });
      assert.equal(await running.idp.admin.resetMfa(ADA.id, 'other', { email: OLI.email, identityVerified: true }, META), undefined);
      assert.ok((await running.idp.stores.mfaFactors.factorsOf(OLI.id)).totp);
    });
  });

  describe('the email an admin types', () => {
    const tryReset = (email: string) => running.idp.admin.resetMfa(ADA.id, 'ridge', { email, identityVerified: true }, META);

    it('refuses Unicode lookalikes that only normalization or case mapping turns into the address', async () => {
      await addUser('usr_kate', 'kate@ridge.test');
      // KELVIN SIGN (U+212A) lower-cases to "k"; fullwidth and compatibility forms are other characters.
      for (const typed of ['\u212Aate@ridge.test', 'ｋate@ridge.test', 'kate＠ridge.test', 'kate@ridge.test\u200B', 'kat\u0435@ridge.test', 'kate@ridge.test.']) {
        assert.deepEqual(await tryReset(typed), { ok: false, reason: 'not_in_directory' }, JSON.stringify(typed));
      }
      assert.equal((await tryReset('  KATE@Ridge.Test\t'))?.ok, true, 'case and surrounding spaces are forgiven');
    });

    it('held: refuses another normalization form or the other form of an internationalized domain', async () => {
      await addUser('usr_zoe', 'zoë@bücher.test');
      for (const typed of ['zoe\u0308@bücher.test', 'zoë@bu\u0308cher.test', 'zoë@xn--bcher-kva.test', 'ZOË@XN--BCHER-KVA.TEST']) {
        assert.deepEqual(await tryReset(typed), { ok: false, reason: 'not_in_directory' }, JSON.stringify(typed));
      }
      assert.equal((await tryReset(' ZOË@BÜCHER.TEST '))?.ok, true);
    });

    it('held: an address of another company’s user is refused exactly as one that exists nowhere (console)', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      const csrf = csrfIn(page);
      const elsewhere = await b.post(RESET, { _csrf: csrf, email: OLI.email, identityVerified: 'on' });
      const nowhere = await b.post(RESET, { _csrf: csrf, email: 'zed@nowhere.test', identityVerified: 'on' });
      const unticked = await b.post(RESET, { _csrf: csrf, email: 'nobody@ridge.test' });
      assert.equal(elsewhere.status, 422);
      assert.equal(elsewhere.status, nowhere.status);
      assert.equal(elsewhere.body.replaceAll(OLI.email, 'EMAIL'), nowhere.body.replaceAll('zed@nowhere.test', 'EMAIL'));
      assert.match(unticked.body, /No user with this email address/, 'the directory is checked before the box');
      // The audit trail's filter answers alike too.
      const trailElsewhere = await b.get(`/admin/companies/ridge/audit?email=${encodeURIComponent(OLI.email)}`);
      const trailNowhere = await b.get('/admin/companies/ridge/audit?email=zed%40nowhere.test');
      assert.equal(trailElsewhere.body.replaceAll(OLI.email, 'EMAIL').replaceAll(encodeURIComponent(OLI.email), 'EMAIL'), trailNowhere.body.replaceAll('zed@nowhere.test', 'EMAIL').replaceAll('zed%40nowhere.test', 'EMAIL'));
    });

    it('held: … and through the API', async () => {
      const { accessToken } = await adminToken(running.issuer, ADA, clock, ACR.multiFactor);
      const elsewhere = await callApi(running.issuer, 'POST', `${API_RIDGE}/mfa-resets`, { token: accessToken, json: { email: OLI.email, identityVerified: false } });
      const nowhere = await callApi(running.issuer, 'POST', `${API_RIDGE}/mfa-resets`, { token: accessToken, json: { email: 'zed@nowhere.test', identityVerified: false } });
      assert.equal(elsewhere.status, 422);
      assert.deepEqual([elsewhere.status, elsewhere.body], [nowhere.status, nowhere.body]);
    });
  });

  describe('a reset racing a sign-in', () => {
    /** Tom's sign-in at the web app up to `stop`: the page (or redirect) reached there. */
    async function tomSignsInUntil(stop: 'challenge' | 'verified' | 'callback'): Promise<{ b: Browser; started: Awaited<ReturnType<typeof startAuthorization>>; page: Page }> {
      const b = browser();
      const started = await startAuthorization(running.issuer, WEB, { scope: 'openid email offline_access' });
      const login = await follow(b, await b.get(started.url.href));
      const uid = uidIn(login);
      await b.post(`/interaction/${uid}/email`, { email: TOM.email });
      const challenge = await follow(b, await b.post(`/interaction/${uid}/password`, { email: TOM.email, password: TOM.password }));
      assert.match(challenge.body, /Enter Your 6-digit Verification Code/);
      if (stop === 'challenge') return { b, started, page: challenge };
      clock.advance(30_000);
      const verified = await b.post(`/interaction/${uidIn(challenge)}/mfa/verify`, { code: await totpNow(TOM.secret!, clock) });
      assert.equal(verified.status, 303, verified.body.slice(0, 300));
      if (stop === 'verified') return { b, started, page: verified };
      return { b, started, page: await follow(b, verified) };
    }

    const resetTom = async (): Promise<void> => {
      const reset = await running.idp.admin.resetMfa(ADA.id, 'ridge', { email: TOM.email, identityVerified: true }, META);
      assert.equal(reset?.ok, true);
    };

    /** What a browser's session can still get silently: a code, and from it tokens. */
    const silentTokens = async (b: Browser): Promise<{ refresh: number; userinfo: number } | undefined> => {
      const silent = await startAuthorization(running.issuer, WEB, { scope: 'openid offline_access', prompt: 'none' });
      const location = (await follow(b, await b.get(silent.url.href))).location ?? '';
      if (!/[?&]code=/.test(location)) return undefined;
      const tokens = await exchange(silent, location, b).catch(() => undefined);
      if (!tokens) return { refresh: 0, userinfo: 0 };
      return { refresh: tokens.refreshToken ? (await refreshAs(running.issuer, WEB, tokens.refreshToken)).status : 0, userinfo: await userinfoStatus(running.issuer, tokens.accessToken) };
    };

    it('held: the reset between password and code: the old code no longer finishes the sign-in', async () => {
      const { b, page } = await tomSignsInUntil('challenge');
      await resetTom();
      clock.advance(30_000);
      const verified = await follow(b, await b.post(`/interaction/${uidIn(page)}/mfa/verify`, { code: await totpNow(TOM.secret!, clock) }));
      assert.doesNotMatch(verified.location ?? '', /[?&]code=/);
    });

    it('held: the reset after the code, before the authorization resumes: no authorization code', async () => {
      const { b, page } = await tomSignsInUntil('verified');
      await resetTom();
      const resumed = await follow(b, page);
      assert.doesNotMatch(resumed.location ?? '', /[?&]code=/, `${resumed.status} ${resumed.location}`);
    });

    it('held: an authorization code or refresh token issued before the reset is dead after it', async () => {
      const { b, started, page } = await tomSignsInUntil('callback');
      const callback = callbackOf(page, WEB);
      const second = await startAuthorization(running.issuer, WEB, { scope: 'openid offline_access' });
      const tokens = await exchange(second, callbackOf(await follow(b, await b.get(second.url.href)), WEB), b);
      await resetTom();
      await assert.rejects(exchange(started, callback, b));
      assert.equal((await refreshAs(running.issuer, WEB, tokens.refreshToken!)).status, 400);
      assert.equal(await userinfoStatus(running.issuer, tokens.accessToken), 401);
      assert.equal(await silentTokens(b), undefined);
    });

    it('a browser that keeps its session busy while the reset runs does not keep the session', async () => {
      let kept = 0;
      for (let round = 0; round < 8; round++) {
        await giveTomHisApp();
        const { b } = await tomSignsInUntil('callback');
        // Whoever holds Tom's browser session keeps requests in flight, so that one is mid-way when the reset lands.
        let stop = false;
        const busy = async (): Promise<void> => {
          while (!stop) {
            const silent = await startAuthorization(running.issuer, WEB, { scope: 'openid', prompt: 'none' });
            await b.get(silent.url.href);
          }
        };
        const loops = [busy(), busy(), busy(), busy()];
        await new Promise((resolve) => setTimeout(resolve, 15));
        await resetTom();
        await new Promise((resolve) => setTimeout(resolve, 15));
        stop = true;
        await Promise.all(loops);
        const after = await silentTokens(b);
        if (after !== undefined && (after.refresh === 200 || after.userinfo === 200)) kept++;
      }
      assert.equal(kept, 0, `the browser session outlived the reset, with working tokens, in ${kept} of 8 rounds`);
    });

    it('ends the console session of an admin whose MFA another admin resets', async () => {
      await makeOliAdminOfRidge();
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      clock.advance(1000);
      const reset = await running.idp.admin.resetMfa(OLI.id, 'ridge', { email: ADA.email, identityVerified: true }, META);
      assert.equal(reset?.ok, true);
      // Within ADMIN_REAUTH_SECONDS of her sign-in, Ada's console could otherwise still reset others.
      const posted = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
      assert.equal(posted.status, 403, posted.body.slice(0, 200));
      assert.ok(await tomHasApp());
      assert.equal((await b.get(MFA)).status, 303, 'the console asks for a new sign-in');
    });

    it('held: two resets at once both succeed and leave nothing behind', async () => {
      const { b } = await tomSignsInUntil('callback');
      const [one, two] = await Promise.all([
        running.idp.admin.resetMfa(ADA.id, 'ridge', { email: TOM.email, identityVerified: true }, META),
        running.idp.admin.resetMfa(ADA.id, 'ridge', { email: TOM.email, identityVerified: true }, META),
      ]);
      assert.deepEqual([one?.ok, two?.ok], [true, true]);
      assert.equal(await tomHasApp(), false);
      assert.equal(await silentTokens(b), undefined);
    });
  });

  describe('the admin API’s bearer tokens', () => {
    it('held: a client without the admin scope cannot get it, nor widen a refresh to it', async () => {
      for (const scope of ['openid email admin offline_access', 'openid admin admin', 'admin openid', 'openid  admin']) {
        const web = await signInForTokens(running.issuer, WEB, ADA, clock, { scope, acr_values: ACR.multiFactor }).catch(() => undefined);
        if (!web) continue;
        assert.doesNotMatch(web.scope, /\badmin\b/);
        assert.equal((await callApi(running.issuer, 'GET', `${API_RIDGE}/mfa-settings`, { token: web.accessToken })).status, 403);
        if (web.refreshToken) {
          const widened = await postAsSeedClient(running.issuer, '/token', WEB, { grant_type: 'refresh_token', refresh_token: web.refreshToken, scope: 'openid admin' });
          assert.notEqual(widened.status, 200);
        }
      }
      // The admin script, signed in without the admin scope, cannot add it on refresh.
      const narrow = await signInForTokens(running.issuer, ADMIN_SCRIPT, ADA, clock, { scope: 'openid email offline_access', acr_values: ACR.multiFactor });
      assert.equal((await callApi(running.issuer, 'GET', `${API_RIDGE}/mfa-settings`, { token: narrow.accessToken })).status, 403);
      const widened = await postAsSeedClient(running.issuer, '/token', ADMIN_SCRIPT, { grant_type: 'refresh_token', refresh_token: narrow.refreshToken!, scope: 'openid admin' });
      assert.notEqual(widened.status, 200);
      if (widened.status === 200) assert.doesNotMatch(String(widened.body['scope']), /\badmin\b/);
    });

    it('held: a token of a disabled user, or of an admin whose membership ended, gets nothing', async () => {
      const { accessToken } = await adminToken(running.issuer, ADA, clock, ACR.multiFactor);
      assert.equal((await callApi(running.issuer, 'GET', `${API_RIDGE}/mfa-settings`, { token: accessToken })).status, 200);
      await directory().saveMembership({ userId: ADA.id, companyId: 'ridge', status: 'inactive', permissions: { companyAdmin: 'admin', directory: 'admin' }, payRoles: [] });
      assert.equal((await callApi(running.issuer, 'GET', `${API_RIDGE}/mfa-settings`, { token: accessToken })).status, 404);
      const ada = await directory().findUser(ADA.id);
      await directory().saveUser({ ...ada!, status: 'disabled' });
      const disabled = await callApi(running.issuer, 'GET', '/api/v1/companies/delta/mfa-settings', { token: accessToken });
      assert.equal(disabled.status, 401);
      assert.match(disabled.challenge ?? '', /invalid_token/);
    });

    it('held: Authorization header tricks are refused; the token is read only from the header', async () => {
      const { accessToken } = await adminToken(running.issuer, ADA, clock, ACR.multiFactor);
      const path = `${API_RIDGE}/mfa-settings`;
      const withHeader = (authorization: string) => callApi(running.issuer, 'GET', path, { headers: { authorization } });
      assert.equal((await withHeader(`bearer ${accessToken}`)).status, 200, 'the scheme is case-insensitive (RFC 9110 §11.1)');
      for (const header of [`Bearer  ${accessToken}`, `Bearer ${accessToken}, Bearer ${accessToken}`, `Bearer ${accessToken} ${accessToken}`, `Basic ${accessToken}`, `DPoP ${accessToken}`, accessToken, `Bearer ${accessToken}x`, `Bearer\t${accessToken}`]) {
        const reply = await withHeader(header);
        // RFC 6750 §3.1: 401, or 400 invalid_request for a malformed Bearer header; never through.
        assert.ok(reply.status === 401 || reply.status === 400, `${header.replace(accessToken, 'TOKEN')}: ${reply.status}`);
        assert.match(reply.challenge ?? '', /^Bearer realm="admin-api"/);
      }
      assert.equal((await callApi(running.issuer, 'GET', `${path}?access_token=${accessToken}`)).status, 401);
      assert.equal((await callApi(running.issuer, 'POST', `${API_RIDGE}/mfa-resets`, { json: { email: TOM.email, identityVerified: true, access_token: accessToken } })).status, 401);
      assert.ok([400, 401].includes((await rawGet(running.issuer, path, ['Bearer not-a-token', `Bearer ${accessToken}`])).status), 'two Authorization headers');
      assert.ok(await tomHasApp());
    });

    it('held: an ID token or a refresh token is no admin API token', async () => {
      const tokens = await signInForTokens(running.issuer, ADMIN_SCRIPT, ADA, clock, { scope: 'openid email admin offline_access', acr_values: ACR.multiFactor });
      for (const token of [tokens.refreshToken!]) {
        assert.equal((await callApi(running.issuer, 'GET', `${API_RIDGE}/mfa-settings`, { token })).status, 401);
      }
      const started = await startAuthorization(running.issuer, ADMIN_SCRIPT, { scope: 'openid email admin', acr_values: ACR.multiFactor });
      const b = browser();
      const done = await signInAtProvider(b, await follow(b, await b.get(started.url.href)), ADA, clock);
      const full = await oidc.authorizationCodeGrant(started.rp, new URL(callbackOf(done, ADMIN_SCRIPT)), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
      assert.ok(full.id_token);
      assert.equal((await callApi(running.issuer, 'GET', `${API_RIDGE}/mfa-settings`, { token: full.id_token })).status, 401);
      assert.equal((await callApi(running.issuer, 'GET', `${API_RIDGE}/mfa-settings`, { token: full.access_token })).status, 200);
    });
  });

  describe('what the console shows and exports', () => {
    it('held: names, emails and audit details are escaped in pages, and formulas are defused in CSV', async () => {
      const tom = await directory().findUser(TOM.id);
      await directory().saveUser({ ...tom!, name: '=HYPERLINK("http://evil.example","x")<script>alert(1)</script>' });
      await addUser('usr_plus', 'plus@ridge.test', '+1+1');
      await addUser('usr_at', 'at@ridge.test', '@SUM(A1)');
      await addUser('usr_dash', 'dash@ridge.test', '-2+3');
      await addUser('usr_full', 'full@ridge.test', '\uFF1D1+1');
      await addUser('usr_tab', 'tab@ridge.test', '\t=1+1');
      await running.idp.stores.audit.record({ type: 'sso.login_failed', userId: TOM.id, companyIds: ['ridge'], at: clock(), ip: '192.0.2.9', userAgent: '=cmd|" /C calc"!A0', detail: { error: '<img src=x onerror=alert(1)>', reason: '"><svg onload=alert(1)>' } });
      const b = browser();
      await consoleSignIn(b, ADA, clock, MFA);
      const page = await b.get(MFA);
      assert.doesNotMatch(page.body, /<script>alert/);
      assert.match(page.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      const audit = await b.get('/admin/companies/ridge/audit');
      assert.doesNotMatch(audit.body, /<img src=x|<svg onload/);
      assert.match(audit.body, /&lt;img src=x onerror=alert\(1\)&gt;/);
      const csv = await b.get(`${MFA}?format=csv`);
      const cells = csv.body.split('\r\n').map((line) => line.split(',')[0]);
      for (const cell of cells.slice(1).flatMap((c) => (c ? [c] : []))) assert.doesNotMatch(cell.replace(/^"/, ''), /^[=+\-@\t\r\uFF1D]/, `a live formula: ${cell}`);
      const auditCsv = await b.get('/admin/companies/ridge/audit?format=csv');
      assert.match(auditCsv.body, /'=cmd\|/);
      assert.doesNotMatch(auditCsv.body, /,=cmd/);
      assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="mfa-status-ridge\.csv"$/);
    });
  });

  describe('malformed requests', () => {
    it('held: the console answers 4xx, never 5xx, to odd forms and queries', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      const csrf = csrfIn(page);
      const cookie = b.cookieHeader(RESET);
      const form = 'application/x-www-form-urlencoded';
      const bodies: [string, string][] = [
        [`_csrf=${csrf}&email=${'a'.repeat(20_000)}`, form],
        [`_csrf=${csrf}&email[]=${encodeURIComponent(TOM.email)}&identityVerified=on`, form],
        [`_csrf=${csrf}&email=${encodeURIComponent(TOM.email)}&email=x&identityVerified=on`, form],
        [`_csrf=${csrf}&email[$ne]=x&identityVerified=on`, form],
        [`_csrf=${csrf}&email=%E0%A4%A&identityVerified=on`, form],
        [`_csrf=${csrf}&email=${encodeURIComponent(TOM.email)}&identityVerified=yes`, form],
        [`_csrf=${csrf}&${Array.from({ length: 3000 }, (_, i) => `a${i}=1`).join('&')}`, form],
        [`_csrf=${csrf}&a${'[a]'.repeat(500)}=1`, form],
        ['\u0000\u0001\u0002', 'text/plain'],
      ];
      for (const [body, type] of bodies) {
        const got = await rawPost(running.issuer, RESET, cookie, body, type);
        assert.ok(got.status >= 400 && got.status < 500, `${body.slice(0, 60)}: ${got.status}`);
      }
      for (const query of ['from[]=2020-01-01', 'format[]=csv', 'email=' + 'a'.repeat(5000), 'cursor=' + 'x'.repeat(5000), 'type[a]=b', 'from=2020-02-30', 'to=9999999-01-01', 'cursor=%FF']) {
        const got = await b.get(`/admin/companies/ridge/audit?${query}`);
        assert.ok(got.status < 500, `audit ?${query.slice(0, 40)}: ${got.status}`);
      }
      const settings = await rawPost(running.issuer, MFA, cookie, `_csrf=${csrf}&required=on&enforcementDate=2027-02-30&timeZone=Mars/Olympus&reverify=1h`, form);
      assert.equal(settings.status, 400);
      assert.ok(await tomHasApp());
    });

    it('held: the API answers 4xx, never 5xx, to odd bodies, headers and queries', async () => {
      const { accessToken } = await adminToken(running.issuer, ADA, clock, ACR.multiFactor);
      const headers = { authorization: `Bearer ${accessToken}` };
      const raws = ['', 'null', '[]', '"x"', '{', '{"email": "x", "identityVerified": true, "__proto__": {"identityVerified": true}}', '{"email": {"$ne": 1}, "identityVerified": true}', '{"email": "' + 'a'.repeat(20_000) + '"}', '['.repeat(5000) + ']'.repeat(5000), '{"email": "\uD800", "identityVerified": true}'];
      for (const raw of raws) {
        const got = await callApi(running.issuer, 'POST', `${API_RIDGE}/mfa-resets`, { raw, headers });
        assert.ok(got.status >= 400 && got.status < 500, `${raw.slice(0, 40)}: ${got.status}`);
      }
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const got = await callApi(running.issuer, 'PUT', `${API_RIDGE}/mfa-settings`, { raw: '{"required":false,"enforcementDate":null,"timeZone":"UTC","reverify":"12h"}', headers: { ...headers, 'content-type': type } });
        assert.ok(got.status >= 400 && got.status < 500, `${type}: ${got.status}`);
      }
      for (const query of ['type=a&type=b', 'limit=1e309', 'limit=-1', 'limit=abc', 'from=2020-13-01', 'cursor=' + 'x'.repeat(300), 'cursor=not-a-cursor', 'email[a]=b', 'unknown=1']) {
        const got = await callApi(running.issuer, 'GET', `${API_RIDGE}/audit-events?${query}`, { headers });
        assert.ok(got.status >= 400 && got.status < 500, `?${query.slice(0, 40)}: ${got.status}`);
      }
      for (const method of ['DELETE', 'PATCH', 'OPTIONS']) {
        const res = await fetch(new URL(`${API_RIDGE}/mfa-settings`, running.issuer), { method, headers });
        await res.arrayBuffer();
        assert.ok(res.status < 500, `${method}: ${res.status}`);
      }
      assert.equal((await directory().findCompany('ridge'))?.mfa.reverify, '30d');
      assert.ok(await tomHasApp());
    });
  });
});

describe('attacks on the admin console and API with Redis down', function () {
  let redis: RedisServer;
  let running: RunningIdp;
  let clock: ManualClock;
  before(function () {
    if (!redisServerInstalled()) this.skip();
  });
  beforeEach(async () => {
    redis = await RedisServer.start();
    clock = manualClock();
    running = await startIdp({ kind: 'redis', topology: { kind: 'single', url: redis.url }, prefix: 'attack:' }, { clock, env: { SEED_FILE: ADMIN_SEED, MFA_ENCRYPTION_KEYS: MFA_KEYS, REQUEST_TIMEOUT_SECONDS: '2' } });
  });
  afterEach(async () => {
    await running.close().catch(() => undefined);
    await redis.stop();
  });

  it('held: every console page, form and API call answers 503, and nothing goes through', async () => {
    const b = new Browser(running.issuer);
    const page = await consoleSignIn(b, ADA, clock, RESET);
    const csrf = csrfIn(page);
    const { accessToken } = await adminToken(running.issuer, ADA, clock, ACR.multiFactor);
    await redis.stop();
    for (const path of ['/admin', MFA, `${MFA}?format=csv`, '/admin/companies/ridge/audit', '/admin/callback?code=x&state=y']) {
      const got = await b.get(path);
      assert.equal(got.status, 503, `${path}: ${got.status}`);
    }
    assert.equal((await b.post(RESET, { _csrf: csrf, email: TOM.email, identityVerified: 'on' })).status, 503);
    // Without a cookie nothing needs the store: the form is refused as from a signed-out browser.
    assert.equal((await new Browser(running.issuer).post(RESET, { _csrf: csrf, email: TOM.email, identityVerified: 'on' })).status, 403);
    for (const [method, path] of [['GET', 'mfa-settings'], ['GET', 'audit-events'], ['POST', 'mfa-resets']] as const) {
      const got = await callApi(running.issuer, method, `${API_RIDGE}/${path}`, { token: accessToken, ...(method === 'POST' ? { json: { email: TOM.email, identityVerified: true } } : {}) });
      assert.equal(got.status, 503, `${method} ${path}: ${got.status}`);
    }
  });
});

/**
 * Plants a cookie in a test browser the way a sibling site can (cookie tossing): a response from
 * another host on the same machine sets it, and the browser sends it to the console from then on.
 */
async function plantCookie(browser: Browser, line: string): Promise<void> {
  const sibling = createServer((_req, res) => {
    res.setHeader('set-cookie', line);
    res.end('planted');
  });
  sibling.listen(0, '127.0.0.1');
  await once(sibling, 'listening');
  const address = sibling.address() as AddressInfo;
  const target = browser.target;
  browser.target = `http://127.0.0.1:${address.port}`;
  try {
    await browser.get('/');
  } finally {
    browser.target = target;
    sibling.closeAllConnections();
    sibling.close();
  }
}

async function rawPost(issuer: string, path: string, cookie: string, body: string, type: string): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(path, issuer), { method: 'POST', headers: { cookie, 'content-type': type, accept: 'text/html' }, body });
  return { status: res.status, body: await res.text() };
}

/** A GET with several Authorization headers (fetch merges them; node:http sends each). */
function rawGet(issuer: string, path: string, authorizations: string[]): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    // node:http takes raw headers as a flat [name, value, …] array, repeated names included.
    const headers = [...authorizations.flatMap((a) => ['authorization', a]), 'accept', 'application/json'];
    const req = httpRequest(new URL(path, issuer), { method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0 });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
