import assert from 'node:assert/strict';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { ADA, ADMIN_SEED, consoleSignIn, csrfIn, follow, noticeIn, RAY, signInAtProvider, TOM } from '../helpers/admin.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

const MFA = '/admin/companies/ridge/security/mfa';
const RESET = `${MFA}/reset`;

/** The company admin console through its HTML forms, as an admin's browser uses it. */
export function adminConsoleSuite(backend: () => Backend): void {
  let running: RunningIdp;
  let clock: ManualClock;
  let smtp: TestSmtpServer;

  beforeEach(async () => {
    smtp = new TestSmtpServer();
    await smtp.start();
    clock = manualClock();
    running = await startIdp(backend(), { clock, smtpUrl: smtp.url, env: { SEED_FILE: ADMIN_SEED } });
  });
  afterEach(async () => {
    await running.close();
    await smtp.stop();
  });

  const browser = (): Browser => new Browser(running.issuer);

  it('signs an admin in through the provider with password and TOTP, on a session of its own', async () => {
    const b = browser();
    const page = await consoleSignIn(b, ADA, clock);
    assert.equal(page.status, 200, page.body.slice(0, 400));
    assert.match(page.body, /Company Admin/);
    assert.match(page.body, /Ridge Builders/);
    assert.match(page.body, /Delta Works/);
    const cookie = b.cookieHeader('/admin');
    assert.match(cookie, /admin_session=/);
  });

  it('shows the MFA tab with the members’ status, and exports it as CSV', async () => {
    const b = browser();
    await consoleSignIn(b, ADA, clock);
    const page = await b.get(MFA);
    assert.equal(page.status, 200);
    assert.match(page.body, /name="required" checked/);
    assert.match(page.body, /<input id="enforcementDate" type="date" name="enforcementDate"/);
    assert.match(page.body, /<select id="timeZone" name="timeZone">/);
    assert.match(page.body, /<option value="Europe\/Berlin" selected>/);
    assert.match(page.body, /<select id="reverify" name="reverify">/);
    assert.match(page.body, /Tom Smith<\/td><td>Tom.Smith@ridge.test<\/td><td>App<\/td>/);
    assert.match(page.body, /Ian Federated<\/td><td>ian@corp.test<\/td><td>None<\/td><td><\/td><td>Yes<\/td>/);
    const notEnrolled = await b.get(`${MFA}?filter=not_enrolled`);
    assert.match(notEnrolled.body, /nell@ridge.test/);
    assert.doesNotMatch(notEnrolled.body, /Tom.Smith@ridge.test/);
    assert.doesNotMatch(notEnrolled.body, /ian@corp.test/, 'the IdP runs Ian’s MFA: nothing to enroll here');
    const csv = await b.get(`${MFA}?format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.body, /^Name,Email,Methods,Last MFA sign-in,MFA at company IdP\r\n/);
    assert.match(csv.body, /Tom Smith,Tom.Smith@ridge.test,App,,no\r\n/);
  });

  it('answers 404 for a company the admin may not see, whether or not it exists', async () => {
    const b = browser();
    await consoleSignIn(b, ADA, clock);
    const other = await b.get('/admin/companies/other/security/mfa');
    const missing = await b.get('/admin/companies/no-such-company/security/mfa');
    assert.equal(other.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(other.body, missing.body);
    assert.equal((await b.get('/admin/companies/other/audit')).status, 404);
  });

  it('saves the settings, audited with old and new values', async () => {
    const b = browser();
    const page = await consoleSignIn(b, ADA, clock, MFA);
    const saved = await b.post(MFA, { _csrf: csrfIn(page), required: 'on', enforcementDate: '2027-03-01', timeZone: 'America/Chicago', reverify: '7d' });
    assert.equal(saved.status, 303, saved.body.slice(0, 300));
    const after = await follow(b, saved);
    assert.match(noticeIn(after) ?? '', /Settings saved/);
    assert.match(after.body, /value="2027-03-01"/);
    assert.match(after.body, /<option value="America\/Chicago" selected>/);
    const company = await running.idp.stores.directory.findCompany('ridge');
    assert.deepEqual(company?.mfa, { required: true, enforcementDate: '2027-03-01', reverify: '7d' });
    const [event] = (await running.idp.stores.audit.forCompany('ridge', 5)).filter((e) => e.type === 'policy.changed');
    assert.ok(event);
    assert.equal(event.detail?.['adminId'], ADA.id);
    assert.equal(event.detail?.['enforcementDate'], ' → 2027-03-01');
    assert.equal(event.detail?.['timeZone'], 'Europe/Berlin → America/Chicago');
    assert.equal(event.detail?.['reverify'], '30d → 7d');
  });

  it('refuses a form posted without its CSRF token, changing nothing', async () => {
    const b = browser();
    await consoleSignIn(b, ADA, clock, MFA);
    const forged = await b.post(MFA, { required: 'on', enforcementDate: '2027-03-01', timeZone: 'UTC', reverify: '12h' });
    assert.equal(forged.status, 403);
    const wrong = await b.post(RESET, { _csrf: 'x'.repeat(43), email: TOM.email, identityVerified: 'on' });
    assert.equal(wrong.status, 403);
    assert.equal((await running.idp.stores.directory.findCompany('ridge'))?.mfa.reverify, '30d');
    assert.ok((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).totp, 'no reset happened');
  });

  it('lets a read-only admin look but not change', async () => {
    const b = browser();
    const page = await consoleSignIn(b, RAY, clock, MFA);
    assert.equal(page.status, 200);
    assert.match(page.body, /<fieldset disabled>/);
    const refused = await b.post(MFA, { _csrf: csrfIn(page), required: 'on', enforcementDate: '', timeZone: 'UTC', reverify: '12h' });
    assert.equal(refused.status, 404);
    const reset = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
    assert.equal(reset.status, 422);
    assert.match(reset.body, /Admin&#39; permissions on both the Company Admin and Directory tools/);
  });

  it('sends a stale authentication through the provider again (max_age, prompt=login) before the change goes ahead', async () => {
    const b = browser();
    const page = await consoleSignIn(b, ADA, clock, RESET);
    clock.advance(901_000);
    const posted = await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
    assert.equal(posted.status, 303);
    const auth = new URL(posted.location!);
    assert.equal(auth.pathname, '/auth');
    assert.equal(auth.searchParams.get('max_age'), '900');
    assert.equal(auth.searchParams.get('prompt'), 'login');
    assert.ok((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).totp, 'nothing is reset before the admin authenticates again');
    const done = await signInAtProvider(b, await follow(b, posted), ADA, clock);
    assert.equal(done.status, 200, done.body.slice(0, 300));
    assert.match(noticeIn(done) ?? '', /MFA was reset for Tom.Smith@ridge.test/);
    assert.equal((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).totp, false);
  });

  it('logs out of the console and of the provider', async () => {
    const b = browser();
    const page = await consoleSignIn(b, ADA, clock);
    const out = await b.post('/admin/logout', { _csrf: csrfIn(page) });
    assert.equal(out.status, 303);
    assert.match(out.location ?? '', /\/session\/end\?/);
    assert.doesNotMatch(b.cookieHeader('/admin'), /admin_session=/);
    const again = await b.get('/admin');
    assert.equal(again.status, 303, 'a new sign-in is needed');
  });
}
