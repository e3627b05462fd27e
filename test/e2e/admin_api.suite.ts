import assert from 'node:assert/strict';
import type { AuditEventType } from '../../audit/audit_log.ts';
import { type ManualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { ADA, follow, RAY, TOM, type Person } from '../helpers/admin.ts';
import { startAdminWorld, stopAdminWorld } from '../helpers/admin_world.ts';
import {
  ADMIN_SCOPE_REQUEST,
  ADMIN_SCRIPT,
  adminToken,
  callApi,
  callbackOf,
  exchange,
  parseChallenge,
  postAsSeedClient,
  refreshAs,
  SCRIPT_USER_AGENT,
  signInForTokens,
  startAuthorization,
  WEB,
  type ApiReply,
  type ApiRequest,
  type Tokens,
} from '../helpers/admin_api.ts';
import { Browser } from '../helpers/browser.ts';
import { type Backend, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, uidIn } from '../helpers/mfa.ts';
import type { TestSmtpServer } from '../helpers/smtp.ts';
import { userinfoStatus } from '../helpers/token_endpoint.ts';

const RIDGE = '/api/v1/companies/ridge';
const SETTINGS = `${RIDGE}/mfa-settings`;
const RESETS = `${RIDGE}/mfa-resets`;
const AUDIT = `${RIDGE}/audit-events`;
const MEMBERS = `${RIDGE}/members/mfa-status`;

const RIDGE_SEEDED = { required: true, enforcementDate: null, timeZone: 'Europe/Berlin', reverify: '30d' };
const NEW_SETTINGS = { required: true, enforcementDate: '2027-03-01', timeZone: 'Europe/Berlin', reverify: '7d' };

/** Delta does not require MFA and Dee has no factor: her sign-in is single-factor. */
const DEE: Person = { id: 'usr_dee', email: 'dee@delta.test', password: 'dee-password-1' };

/** What the admin API's own refusals look like: JSON `{error, message}`, never a page. */
function assertApiError(reply: ApiReply, status: number, error: string, what: string): void {
  assert.equal(reply.status, status, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body['error'], error, `${what}: ${JSON.stringify(reply.body)}`);
  assert.equal(typeof reply.body['message'], 'string', what);
  assert.ok(String(reply.body['message']).length > 0, what);
}

/** A bearer refusal (RFC 6750 §3, RFC 9470 §3): the status, the challenge's error, and the same code in the body. */
function assertChallenge(reply: ApiReply, status: 400 | 401 | 403, error: string | undefined): Record<string, string> {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  const { scheme, params } = parseChallenge(reply.challenge);
  assert.equal(scheme, 'Bearer');
  assert.equal(params['realm'], 'admin-api');
  assert.equal(params['error'], error, reply.challenge ?? '');
  if (error !== undefined) {
    assert.equal(reply.body['error'], error);
    assert.ok(params['error_description'], 'a description for the developer');
  }
  assert.equal(typeof reply.body['message'], 'string');
  return params;
}

/**
 * The company admin API (/api/v1) through real access tokens: a script signs the admin in with the
 * authorization code flow and PKCE (openid-client), then calls the API with the bearer token.
 */
export function adminApiSuite(backend: () => Backend): void {
  let running: RunningIdp;
  let clock: ManualClock;
  let smtp: TestSmtpServer;

  beforeEach(async () => {
    ({ smtp, clock, running } = await startAdminWorld(backend()));
  });
  afterEach(async () => {
    await stopAdminWorld({ running, smtp });
  });

  const api = (method: string, path: string, request?: ApiRequest): Promise<ApiReply> => callApi(running.issuer, method, path, request);
  const tokenOf = (who: Person): Promise<Tokens> => adminToken(running.issuer, who, clock, ACR.multiFactor);

  describe('MFA settings, members and the audit trail', () => {
    it('reads and changes the MFA settings; the change is audited with the admin and each field', async () => {
      const { accessToken: token } = await tokenOf(ADA);
      const before = await api('GET', SETTINGS, { token });
      assert.equal(before.status, 200);
      assert.deepEqual(before.body, RIDGE_SEEDED);

      const saved = await api('PUT', SETTINGS, { token, json: NEW_SETTINGS });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.deepEqual(saved.body, NEW_SETTINGS);
      assert.deepEqual((await api('GET', SETTINGS, { token })).body, NEW_SETTINGS);
      assert.deepEqual((await running.idp.stores.directory.findCompany('ridge'))?.mfa, { required: true, enforcementDate: '2027-03-01', reverify: '7d', announcements: 1 });

      const trail = await api('GET', `${AUDIT}?type=policy.changed`, { token });
      assert.equal(trail.status, 200);
      const events = trail.body['events'] as { type: string; detail: Record<string, string>; ip: string; userAgent: string }[];
      assert.equal(events.length, 1);
      const [event] = events;
      assert.equal(event?.detail['adminId'], ADA.id);
      assert.equal(event?.detail['enforcementDate'], ' → 2027-03-01');
      assert.equal(event?.detail['reverify'], '30d → 7d');
      assert.equal(event?.detail['timeZone'], undefined, 'an unchanged field is not listed');
      assert.match(event?.ip ?? '', /127\.0\.0\.1/);
      assert.equal(event?.userAgent, SCRIPT_USER_AGENT);
    });

    it('refuses a malformed body with 400 {error, message}, never a 5xx, and changes nothing', async () => {
      const { accessToken: token } = await tokenOf(ADA);
      const cases: { what: string; request: ApiRequest; mentions?: RegExp }[] = [
        { what: 'an unknown field', request: { json: { ...NEW_SETTINGS, enforce: true } }, mentions: /enforce/ },
        { what: 'a date that does not exist', request: { json: { ...NEW_SETTINGS, enforcementDate: '2027-02-30' } }, mentions: /enforcementDate/ },
        { what: 'a date in another form', request: { json: { ...NEW_SETTINGS, enforcementDate: '01.03.2027' } }, mentions: /enforcementDate/ },
        { what: 'an unknown time zone', request: { json: { ...NEW_SETTINGS, timeZone: 'Europe/Atlantis' } }, mentions: /timeZone/ },
        { what: 'an unknown frequency', request: { json: { ...NEW_SETTINGS, reverify: 'weekly' } }, mentions: /reverify/ },
        { what: 'a string for a boolean', request: { json: { ...NEW_SETTINGS, required: 'yes' } }, mentions: /required/ },
        { what: 'a missing field', request: { json: { required: true, timeZone: 'UTC', reverify: '7d' } }, mentions: /enforcementDate/ },
        { what: 'malformed JSON', request: { raw: '{"required": true, "timeZone": ' } },
        { what: 'a JSON array', request: { raw: '[]' } },
        { what: 'JSON null', request: { raw: 'null' } },
        { what: 'no body', request: {} },
        { what: 'a form instead of JSON', request: { raw: 'required=true&timeZone=UTC', headers: { 'content-type': 'application/x-www-form-urlencoded' } } },
      ];
      for (const { what, request, mentions } of cases) {
        const reply = await api('PUT', SETTINGS, { token, ...request });
        assertApiError(reply, 400, 'invalid_request', what);
        if (mentions) assert.match(String(reply.body['message']), mentions, what);
      }
      const huge = await api('PUT', SETTINGS, { token, json: { ...NEW_SETTINGS, padding: 'x'.repeat(17 * 1024) } });
      assertApiError(huge, 413, 'invalid_request', 'a body over 16 kB');
      const unknownEncoding = await api('PUT', SETTINGS, { token, raw: JSON.stringify(NEW_SETTINGS), headers: { 'content-encoding': 'x-no-such-coding' } });
      assertApiError(unknownEncoding, 415, 'invalid_request', 'a content coding nobody knows');
      assert.deepEqual((await api('GET', SETTINGS, { token })).body, RIDGE_SEEDED);
      const trail = await api('GET', `${AUDIT}?type=policy.changed`, { token });
      assert.deepEqual(trail.body['events'], []);
    });

    it('lists the active members with their MFA state, and only those not enrolled on request', async () => {
      const { accessToken: token } = await tokenOf(RAY);
      const reply = await api('GET', MEMBERS, { token });
      assert.equal(reply.status, 200);
      const members = reply.body['members'] as { userId: string; email: string; name: string; methods: string[]; lastMfaAt: string | null; mfaAtIdp: boolean }[];
      assert.deepEqual(members.map((m) => m.userId).sort(), ['usr_ada', 'usr_ian', 'usr_nell', 'usr_pia', 'usr_ray', 'usr_tom']);
      const byId = new Map(members.map((m) => [m.userId, m]));
      assert.deepEqual(byId.get('usr_tom'), { userId: 'usr_tom', name: 'Tom Smith', email: 'Tom.Smith@ridge.test', methods: ['totp'], lastMfaAt: null, mfaAtIdp: false });
      assert.deepEqual(byId.get('usr_nell')?.methods, []);
      assert.equal(byId.get('usr_ian')?.mfaAtIdp, true);
      const rayLast = byId.get('usr_ray')?.lastMfaAt;
      assert.equal(rayLast, new Date(clock()).toISOString(), 'Ray’s own sign-in just now was an MFA sign-in');

      const notEnrolled = await api('GET', `${MEMBERS}?filter=not_enrolled`, { token });
      const ids = (notEnrolled.body['members'] as { userId: string }[]).map((m) => m.userId).sort();
      assert.deepEqual(ids, ['usr_nell', 'usr_pia'], 'Ian’s MFA is at his company’s IdP: nothing to enroll here');
    });

    it('searches the audit trail by type, email and day (in the company’s zone), a page at a time', async () => {
      // Recorded before anything else happens, oldest first, as the log would have received them.
      const at = (iso: string): number => Date.parse(iso);
      const seeded: { type: AuditEventType; userId: string; at: number; companyIds: string[] }[] = [
        { type: 'mfa.challenge_succeeded', userId: 'usr_tom', at: at('2025-01-10T22:30:00Z'), companyIds: ['ridge'] }, // Berlin: 10 Jan 23:30
        { type: 'mfa.challenge_failed', userId: 'usr_tom', at: at('2025-01-10T23:30:00Z'), companyIds: ['ridge'] }, // Berlin: 11 Jan 00:30
        { type: 'mfa.challenge_succeeded', userId: 'usr_nell', at: at('2025-01-11T12:00:00Z'), companyIds: ['ridge'] },
        { type: 'mfa.challenge_succeeded', userId: 'usr_oli', at: at('2025-01-11T13:00:00Z'), companyIds: ['other'] },
        { type: 'mfa.enrolled', userId: 'usr_nell', at: at('2025-01-11T22:59:59Z'), companyIds: ['ridge'] }, // Berlin: 11 Jan 23:59:59
        { type: 'mfa.challenge_succeeded', userId: 'usr_tom', at: at('2025-01-11T23:00:00Z'), companyIds: ['ridge'] }, // Berlin: 12 Jan 00:00
      ];
      for (const event of seeded) await running.idp.stores.audit.record({ ...event, ip: '192.0.2.7', userAgent: 'seeded' });
      const { accessToken: token } = await tokenOf(ADA);

      type Listed = { id: string; type: string; at: string; userId: string | null; email: string | null; ip: string };
      const list = async (query: string): Promise<{ events: Listed[]; next: string | null }> => {
        const reply = await api('GET', `${AUDIT}?${query}`, { token });
        assert.equal(reply.status, 200, `${query}: ${JSON.stringify(reply.body)}`);
        return { events: reply.body['events'] as Listed[], next: reply.body['next'] as string | null };
      };
      const times = (events: Listed[]): string[] => events.map((e) => e.at);

      const day11 = await list('from=2025-01-11&to=2025-01-11');
      assert.deepEqual(times(day11.events), ['2025-01-11T22:59:59.000Z', '2025-01-11T12:00:00.000Z', '2025-01-10T23:30:00.000Z'], 'the 11th in Berlin, newest first; Oli’s company’s event is not ridge’s');
      assert.equal(day11.next, null);
      assert.deepEqual(day11.events[2], { ...day11.events[2], type: 'mfa.challenge_failed', userId: 'usr_tom', email: 'Tom.Smith@ridge.test', ip: '192.0.2.7' });

      const succeeded = await list('from=2025-01-11&to=2025-01-11&type=mfa.challenge_succeeded');
      assert.deepEqual(times(succeeded.events), ['2025-01-11T12:00:00.000Z']);
      const toms = await list(`from=2025-01-11&to=2025-01-12&email=${encodeURIComponent('  TOM.SMITH@ridge.test ')}`);
      assert.deepEqual(times(toms.events), ['2025-01-11T23:00:00.000Z', '2025-01-10T23:30:00.000Z']);
      assert.deepEqual((await list('email=nobody%40ridge.test')).events, []);
      assert.deepEqual((await list('email=oli%40other.test')).events, [], 'another company’s user has no events in ridge’s trail');

      // Paging: `next` until null, every page within the limit, together the whole range once.
      const seen: Listed[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const page: { events: Listed[]; next: string | null } = await list(`from=2025-01-10&to=2025-01-12&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        assert.ok(page.events.length <= 2);
        seen.push(...page.events);
        cursor = page.next;
        if (cursor === null) break;
      }
      assert.equal(cursor, null, 'the pages end');
      assert.deepEqual(times(seen), ['2025-01-11T23:00:00.000Z', '2025-01-11T22:59:59.000Z', '2025-01-11T12:00:00.000Z', '2025-01-10T23:30:00.000Z', '2025-01-10T22:30:00.000Z']);
      assert.equal(new Set(seen.map((e) => e.id)).size, seen.length, 'no event twice');

      for (const [what, query] of [
        ['a cursor this API never issued', 'cursor=not-a-cursor'],
        ['a cursor of the wrong shape', `cursor=${Buffer.from('12-x').toString('base64url')}`],
        ['an unknown type', 'type=mfa.everything'],
        ['a date that does not exist', 'from=2027-02-30'],
        ['a limit of 0', 'limit=0'],
        ['a limit over 500', 'limit=501'],
        ['a limit that is no number', 'limit=ten'],
        ['an unknown parameter', 'page=2'],
      ] as const) {
        assertApiError(await api('GET', `${AUDIT}?${query}`, { token }), 400, 'invalid_request', what);
      }
    });
  });

  describe('MFA resets', () => {
    it('ends the user’s sessions and refresh tokens, emails them, audits the admin; the next sign-in enrolls again', async () => {
      // Tom is signed in to an app: a browser session at the provider and a refresh token.
      const tom = await signInForTokens(running.issuer, WEB, TOM, clock, { scope: 'openid email offline_access' });
      assert.ok(tom.refreshToken);
      assert.equal(await userinfoStatus(running.issuer, tom.accessToken), 200);
      const { accessToken: token } = await tokenOf(ADA);

      // Typed in another case, with spaces around it: still the directory's address.
      const reset = await api('POST', RESETS, { token, json: { email: '  tom.smith@RIDGE.test ', identityVerified: true } });
      assert.equal(reset.status, 201, JSON.stringify(reset.body));
      assert.deepEqual(reset.body, { userId: TOM.id, email: 'Tom.Smith@ridge.test', resetAt: new Date(clock()).toISOString() });

      const refreshed = await refreshAs(running.issuer, WEB, tom.refreshToken);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body['error'], 'invalid_grant');
      assert.equal(await userinfoStatus(running.issuer, tom.accessToken), 401);

      // His browser's next visit: the login screen, not the app (the session is gone) …
      const again = await startAuthorization(running.issuer, WEB, { scope: 'openid email' });
      const login = await follow(tom.browser, await tom.browser.get(again.url.href));
      assert.equal(login.status, 200);
      assert.match(login.body, /<h1>Log in<\/h1>/);
      // … and after his password, setting up MFA again.
      const uid = uidIn(login);
      assert.equal((await tom.browser.post(`/interaction/${uid}/email`, { email: TOM.email })).status, 200);
      const enroll = await follow(tom.browser, await tom.browser.post(`/interaction/${uid}/password`, { email: TOM.email, password: TOM.password }));
      assert.equal(enroll.status, 200, enroll.body.slice(0, 300));
      assert.match(enroll.body, /Two-Factor Authentication Required/);
      const { secret, resume } = await enrollTotp(tom.browser, uidIn(enroll), clock);
      assert.notEqual(secret, TOM.secret, 'a new authenticator secret');
      const back = await exchange(again, callbackOf(await follow(tom.browser, resume), WEB), tom.browser);
      assert.equal(await userinfoStatus(running.issuer, back.accessToken), 200);

      // The email reached the SMTP server, naming the company whose admin reset it.
      await running.idp.mail.drain();
      const mails = smtp.received.filter((m) => m.to.some((to) => to.toLowerCase() === TOM.email.toLowerCase()) && m.subject.includes('two-factor authentication was reset'));
      assert.equal(mails.length, 1, smtp.received.map((m) => m.subject).join(' | '));
      assert.match((mails[0]?.raw ?? '').replace(/=\r\n/g, ''), /Ridge Builders/);

      const trail = await api('GET', `${AUDIT}?type=mfa.reset`, { token });
      const [event] = trail.body['events'] as { userId: string; email: string; ip: string; userAgent: string; detail: Record<string, string> }[];
      assert.ok(event);
      assert.equal(event.userId, TOM.id);
      assert.equal(event.email, 'Tom.Smith@ridge.test');
      assert.match(event.ip, /127\.0\.0\.1/);
      assert.equal(event.userAgent, SCRIPT_USER_AGENT);
      assert.deepEqual(
        { adminId: event.detail['adminId'], companyId: event.detail['companyId'], companyName: event.detail['companyName'], identityVerified: event.detail['identityVerified'], by: event.detail['by'] },
        { adminId: ADA.id, companyId: 'ridge', companyName: 'Ridge Builders', identityVerified: 'true', by: 'company_admin' },
      );
    });

    it('refuses each ineligible reset with 422 and the rule’s own code, resetting nobody', async () => {
      const ada = (await tokenOf(ADA)).accessToken;
      const ray = (await tokenOf(RAY)).accessToken;
      const cases: { what: string; token: string; path: string; email: string; identityVerified?: boolean; code: string }[] = [
        { what: 'a read-only admin', token: ray, path: RESETS, email: TOM.email, code: 'not_permitted' },
        { what: 'a company that does not require MFA', token: ada, path: '/api/v1/companies/delta/mfa-resets', email: DEE.email, code: 'mfa_not_enforced' },
        { what: 'an address in no directory', token: ada, path: RESETS, email: 'nobody@ridge.test', code: 'not_in_directory' },
        { what: 'the admin’s own account', token: ada, path: RESETS, email: ADA.email, code: 'own_account' },
        { what: 'a user whose MFA the company’s IdP runs', token: ada, path: RESETS, email: 'ian@corp.test', code: 'managed_by_idp' },
        { what: 'a Procore Pay payee', token: ada, path: RESETS, email: 'pia@ridge.test', code: 'procore_pay' },
        { what: 'an unverified request', token: ada, path: RESETS, email: TOM.email, identityVerified: false, code: 'identity_not_verified' },
      ];
      for (const { what, token, path, email, identityVerified, code } of cases) {
        const reply = await api('POST', path, { token, json: { email, identityVerified: identityVerified ?? true } });
        assertApiError(reply, 422, code, what);
        assert.equal(reply.challenge, null, `${what}: a rule, not a token problem`);
      }
      assert.ok((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).totp, 'Tom keeps his authenticator');
      assert.ok((await running.idp.stores.mfaFactors.factorsOf(ADA.id)).totp);
      const trail = await api('GET', `${AUDIT}?type=mfa.reset`, { token: ada });
      assert.deepEqual(trail.body['events'], []);

      for (const [what, body] of [
        ['no email', { identityVerified: true }],
        ['a blank email', { email: '   ', identityVerified: true }],
        ['no confirmation', { email: TOM.email }],
        ['an unknown field', { email: TOM.email, identityVerified: true, force: true }],
      ] as const) {
        assertApiError(await api('POST', RESETS, { token: ada, json: body }), 400, 'invalid_request', what);
      }
      assertApiError(await api('POST', RESETS, { token: ada, raw: '{"email": ' }), 400, 'invalid_request', 'malformed JSON');
    });

    it('answers an address of another company’s user exactly as one that exists nowhere', async () => {
      const { accessToken: token } = await tokenOf(ADA);
      const elsewhere = await api('POST', RESETS, { token, json: { email: 'oli@other.test', identityVerified: true } });
      const nowhere = await api('POST', RESETS, { token, json: { email: 'nobody@nowhere.test', identityVerified: true } });
      assertApiError(elsewhere, 422, 'not_in_directory', 'another company’s user');
      assert.equal(elsewhere.status, nowhere.status);
      assert.deepEqual(elsewhere.body, nowhere.body);
      assert.ok((await running.idp.stores.mfaFactors.factorsOf('usr_oli')).totp);
    });

    it('answers 404 for another company, exactly as for one that does not exist', async () => {
      const { accessToken: token } = await tokenOf(ADA);
      const calls: [string, string, ApiRequest][] = [
        ['GET', 'mfa-settings', {}],
        ['PUT', 'mfa-settings', { json: NEW_SETTINGS }],
        ['GET', 'members/mfa-status', {}],
        ['POST', 'mfa-resets', { json: { email: 'oli@other.test', identityVerified: true } }],
        ['GET', 'audit-events', {}],
      ];
      for (const [method, path, request] of calls) {
        const other = await api(method, `/api/v1/companies/other/${path}`, { token, ...request });
        const missing = await api(method, `/api/v1/companies/no-such-company/${path}`, { token, ...request });
        assertApiError(other, 404, 'not_found', `${method} ${path} of another company`);
        assert.deepEqual([other.status, other.body], [missing.status, missing.body], `${method} ${path}`);
      }
      assert.ok((await running.idp.stores.mfaFactors.factorsOf('usr_oli')).totp, 'nothing happened there');
      assert.equal((await running.idp.stores.directory.findCompany('other'))?.mfa.reverify, '30d');
      // A read-only admin of ridge sees nothing of delta either.
      const ray = (await tokenOf(RAY)).accessToken;
      assertApiError(await api('GET', '/api/v1/companies/delta/mfa-settings', { token: ray }), 404, 'not_found', 'Ray in delta');
    });

    it('lets a read-only admin read but not change the settings', async () => {
      const { accessToken: token } = await tokenOf(RAY);
      assert.equal((await api('GET', SETTINGS, { token })).status, 200);
      assert.equal((await api('GET', AUDIT, { token })).status, 200);
      assertApiError(await api('PUT', SETTINGS, { token, json: NEW_SETTINGS }), 403, 'forbidden', 'a read-only admin');
      assert.equal((await running.idp.stores.directory.findCompany('ridge'))?.mfa.reverify, '30d');
    });
  });

  describe('the bearer token', () => {
    it('without one: 401 with a challenge that names no error (RFC 6750 §3.1)', async () => {
      const reply = await api('GET', SETTINGS);
      const params = assertChallenge(reply, 401, undefined);
      assert.deepEqual(Object.keys(params), ['realm']);
    });

    it('in another scheme: a bare 401 challenge; a malformed Bearer header: 400 invalid_request', async () => {
      assertChallenge(await api('GET', SETTINGS, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401, undefined);
      assertChallenge(await api('GET', SETTINGS, { headers: { authorization: 'Bearer two tokens' } }), 400, 'invalid_request');
    });

    it('that is no token of ours: 401 invalid_token', async () => {
      assertChallenge(await api('GET', SETTINGS, { token: 'bm90LWEtdG9rZW4' }), 401, 'invalid_token');
      assertChallenge(await api('PUT', SETTINGS, { token: 'x'.repeat(43), json: NEW_SETTINGS }), 401, 'invalid_token');
      assert.equal((await running.idp.stores.directory.findCompany('ridge'))?.mfa.reverify, '30d');
    });

    it('from a client without the admin scope: /auth refuses the scope (invalid_scope), and its token gets 403 insufficient_scope', async () => {
      const asked = await startAuthorization(running.issuer, WEB, { scope: ADMIN_SCOPE_REQUEST, acr_values: ACR.multiFactor });
      const browser = new Browser(running.issuer);
      const refused = await follow(browser, await browser.get(asked.url.href));
      const callback = new URL(callbackOf(refused, WEB));
      assert.equal(callback.searchParams.get('error'), 'invalid_scope');
      assert.equal(callback.searchParams.get('state'), asked.state);

      const web = await signInForTokens(running.issuer, WEB, ADA, clock, { scope: 'openid email', acr_values: ACR.multiFactor });
      assert.doesNotMatch(web.scope, /admin/);
      const params = assertChallenge(await api('GET', SETTINGS, { token: web.accessToken }), 403, 'insufficient_scope');
      assert.equal(params['scope'], 'admin');
    });

    it('from a single-factor sign-in: 401 insufficient_user_authentication (RFC 9470), before any permission check', async () => {
      // Dee administers nothing; the missing second factor is still what she is told first.
      const dee = await signInForTokens(running.issuer, ADMIN_SCRIPT, DEE, clock, { scope: ADMIN_SCOPE_REQUEST });
      assert.match(dee.scope, /\badmin\b/);
      for (const [method, path, request] of [
        ['GET', '/api/v1/companies/delta/mfa-settings', {}],
        ['GET', AUDIT, {}],
        ['POST', '/api/v1/companies/delta/mfa-resets', { json: { email: DEE.email, identityVerified: true } }],
      ] as const) {
        const params = assertChallenge(await api(method, path, { token: dee.accessToken, ...request }), 401, 'insufficient_user_authentication');
        assert.equal(params['acr_values'], ACR.multiFactor, `${method} ${path}`);
      }
    });

    it('revoked, or its grant gone: 401 invalid_token', async () => {
      const revoked = await tokenOf(ADA);
      assert.equal((await api('GET', SETTINGS, { token: revoked.accessToken })).status, 200);
      const revocation = await postAsSeedClient(running.issuer, '/token/revocation', ADMIN_SCRIPT, { token: revoked.accessToken, token_type_hint: 'access_token' });
      assert.equal(revocation.status, 200);
      assertChallenge(await api('GET', SETTINGS, { token: revoked.accessToken }), 401, 'invalid_token');

      // The grant ends (its lifetime, a logout, a reset) while the access token is still stored:
      // the token ends with it, as an expired one does.
      const orphaned = await tokenOf(ADA);
      const stored = await running.idp.app.AccessToken.find(orphaned.accessToken);
      assert.ok(stored?.grantId);
      await (await running.idp.app.Grant.find(stored.grantId))?.destroy();
      assert.ok(await running.idp.app.AccessToken.find(orphaned.accessToken), 'the token itself is still there');
      assertChallenge(await api('GET', SETTINGS, { token: orphaned.accessToken }), 401, 'invalid_token');

      // Refresh-token revocation takes the grant and its access tokens with it.
      const viaRefresh = await tokenOf(ADA);
      assert.ok(viaRefresh.refreshToken);
      assert.equal((await postAsSeedClient(running.issuer, '/token/revocation', ADMIN_SCRIPT, { token: viaRefresh.refreshToken, token_type_hint: 'refresh_token' })).status, 200);
      assertChallenge(await api('GET', SETTINGS, { token: viaRefresh.accessToken }), 401, 'invalid_token');
    });

    it('from an authentication older than ADMIN_REAUTH_SECONDS: changes get 401 with max_age=900 and happen not; reads go on', async () => {
      const ada = await tokenOf(ADA);
      assert.ok(ada.refreshToken);
      clock.advance(901_000);
      // A refresh gives a new access token, not a new authentication.
      const refreshed = await refreshAs(running.issuer, ADMIN_SCRIPT, ada.refreshToken);
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      for (const token of [ada.accessToken, String(refreshed.body['access_token'])]) {
        for (const [method, path, request] of [
          ['PUT', SETTINGS, { json: NEW_SETTINGS }],
          ['POST', RESETS, { json: { email: TOM.email, identityVerified: true } }],
        ] as const) {
          const params = assertChallenge(await api(method, path, { token, ...request }), 401, 'insufficient_user_authentication');
          assert.equal(params['max_age'], '900', `${method} ${path}`);
          assert.equal(params['acr_values'], ACR.multiFactor);
        }
        assert.deepEqual((await api('GET', SETTINGS, { token })).body, RIDGE_SEEDED, 'nothing changed');
        assert.equal((await api('GET', MEMBERS, { token })).status, 200);
        assert.equal((await api('GET', AUDIT, { token })).status, 200);
      }
      assert.ok((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).totp, 'Tom was not reset');
      const trail = await api('GET', AUDIT, { token: ada.accessToken });
      const types = (trail.body['events'] as { type: string }[]).map((e) => e.type);
      assert.ok(!types.includes('policy.changed') && !types.includes('mfa.reset'), types.join());

      // A new sign-in is recent enough again.
      const fresh = await tokenOf(ADA);
      assert.equal((await api('PUT', SETTINGS, { token: fresh.accessToken, json: NEW_SETTINGS })).status, 200);
    });
  });

  describe('the OpenAPI document', () => {
    it('is OpenAPI 3.1 with the four paths, their methods, and the MfaSettings schema', async () => {
      const reply = await api('GET', '/api/v1/openapi.json');
      assert.equal(reply.status, 200);
      const doc = reply.body as { openapi: string; paths: Record<string, Record<string, unknown>>; servers: { url: string }[]; components: { schemas: Record<string, { type?: string; properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown }> } };
      assert.equal(doc.openapi, '3.1.0');
      assert.equal(doc.servers[0]?.url, `${running.issuer}/api/v1`);
      const methods = Object.fromEntries(Object.entries(doc.paths).map(([path, item]) => [path, Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k)).sort()]));
      assert.deepEqual(methods, {
        '/companies/{companyId}/mfa-settings': ['get', 'put'],
        '/companies/{companyId}/members/mfa-status': ['get'],
        '/companies/{companyId}/mfa-resets': ['post'],
        '/companies/{companyId}/audit-events': ['get'],
      });
      const settings = doc.components.schemas['MfaSettings'];
      assert.ok(settings, Object.keys(doc.components.schemas).join());
      assert.deepEqual(Object.keys(settings.properties ?? {}).sort(), ['enforcementDate', 'required', 'reverify', 'timeZone']);
      assert.deepEqual([...(settings.required ?? [])].sort(), ['enforcementDate', 'required', 'reverify', 'timeZone']);
      const refusal = doc.components.schemas['MfaResetRefused']?.properties?.['error'] as { enum?: string[] } | undefined;
      assert.deepEqual(refusal?.enum, ['not_permitted', 'mfa_not_enforced', 'not_in_directory', 'own_account', 'managed_by_idp', 'procore_pay', 'identity_not_verified']);
    });
  });
}
