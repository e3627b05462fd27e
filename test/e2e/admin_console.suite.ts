import assert from 'node:assert/strict';
import { type ManualClock } from '../../lib/clock.ts';
import { ADA, consoleSignIn, csrfIn, follow, noticeIn, RAY, signInAtProvider, TOM } from '../helpers/admin.ts';
import { startAdminWorld, stopAdminWorld } from '../helpers/admin_world.ts';
import { Browser } from '../helpers/browser.ts';
import { type Backend, type RunningIdp } from '../helpers/idp.ts';
import type { TestSmtpServer } from '../helpers/smtp.ts';

const MFA = '/admin/companies/ridge/security/mfa';
const RESET = `${MFA}/reset`;

/** The company admin console through its HTML forms, as an admin's browser uses it. */
export function adminConsoleSuite(backend: () => Backend): void {
  let running: RunningIdp;
  let clock: ManualClock;
  let smtp: TestSmtpServer;

  beforeEach(async () => {
    ({ smtp, clock, running } = await startAdminWorld(backend()));
  });
  afterEach(async () => {
    await stopAdminWorld({ running, smtp });
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

  it('sends a user without MFA through enrollment first, even where no company requires it', async () => {
    const b = browser();
    const dee = { id: 'usr_dee', email: 'dee@delta.test', password: 'dee-password-1' };
    const page = await consoleSignIn(b, dee, clock);
    assert.match(page.body, /Two-Factor Authentication Required/);
    assert.doesNotMatch(page.body, /Skip for now/);
    assert.equal((await b.get('/admin/companies/delta/security/mfa')).status, 303, 'the console still asks for a sign-in');
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
    assert.deepEqual(company?.mfa, { required: true, enforcementDate: '2027-03-01', reverify: '7d', announcements: 1 });
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
    assert.equal(refused.status, 403);
    assert.equal((await running.idp.stores.directory.findCompany('ridge'))?.mfa.reverify, '30d');
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

  describe('Reset MFA for Users', () => {
    it('has the form the support article describes', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      assert.match(page.body, /<input id="email" name="email" type="email"/);
      assert.match(page.body, /Enter the Procore email address exactly as it is listed in the Company Directory/);
      assert.match(page.body, /<input type="checkbox" name="identityVerified" required> I have verified the user's request to reset MFA/);
      assert.match(page.body, /<button type="submit" class="primary">Reset MFA<\/button>/);
    });

    const refusals: [string, string, string, RegExp][] = [
      ['not in the directory', 'oli@other.test', 'on', /No user with this email address is in your Company Directory/],
      ['the admin’s own account', ADA.email, 'on', /another user with Company Admin permissions/],
      ['MFA at the company’s IdP', 'ian@corp.test', 'on', /contact your IT department/],
      ['a Procore Pay user', 'pia@ridge.test', 'on', /Procore Pay Support/],
      ['the box not ticked', TOM.email, '', /verified the user&#39;s request/],
    ];
    for (const [name, email, ticked, message] of refusals) {
      it(`refuses ${name}, keeping the form filled in`, async () => {
        const b = browser();
        const page = await consoleSignIn(b, ADA, clock, RESET);
        const form: Record<string, string> = { _csrf: csrfIn(page), email };
        if (ticked) form['identityVerified'] = ticked;
        const refused = await b.post(RESET, form);
        assert.equal(refused.status, 422);
        assert.match(refused.body, message);
        assert.match(refused.body, new RegExp(`value="${email.replace(/[.+]/g, '\\$&')}"`));
      });
    }

    it('refuses where the company does not require MFA', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, '/admin/companies/delta/security/mfa/reset');
      const refused = await b.post('/admin/companies/delta/security/mfa/reset', { _csrf: csrfIn(page), email: 'dee@delta.test', identityVerified: 'on' });
      assert.equal(refused.status, 422);
      assert.match(refused.body, /turn on Require MFA first/);
    });

    it('resets a member typed in another case with spaces: factors gone, sessions ended, audited, emailed', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      const done = await b.post(RESET, { _csrf: csrfIn(page), email: '  tom.smith@RIDGE.test ', identityVerified: 'on' });
      assert.equal(done.status, 303);
      assert.match(noticeIn(await follow(b, done)) ?? '', /MFA was reset for Tom.Smith@ridge.test/);
      const factors = await running.idp.stores.mfaFactors.factorsOf(TOM.id);
      assert.deepEqual([factors.totp, factors.phone, factors.recoveryCode], [false, undefined, false]);
      const [event] = await running.idp.stores.audit.forUser(TOM.id, 1);
      assert.equal(event?.type, 'mfa.reset');
      assert.deepEqual(event?.detail, { by: 'company_admin', companyId: 'ridge', companyName: 'Ridge Builders', adminId: ADA.id, adminEmail: ADA.email, identityVerified: 'true' });
      assert.equal(event?.ip, '127.0.0.1');
      await running.idp.mail.drain();
      const mail = smtp.received.find((m) => m.to.includes(TOM.email));
      assert.ok(mail, 'Tom is told');
      assert.match(mail.subject, /two-factor authentication was reset/);
      assert.match(mail.raw.replace(/=\r?\n/g, ''), /an administrator of Ridge Builders/);
    });
  });

  describe('the audit trail', () => {
    it('lists the company’s events newest first, filters them, pages them and exports them', async () => {
      const b = browser();
      const page = await consoleSignIn(b, ADA, clock, RESET);
      await b.post(RESET, { _csrf: csrfIn(page), email: TOM.email, identityVerified: 'on' });
      const trail = await b.get('/admin/companies/ridge/audit');
      assert.equal(trail.status, 200);
      const types = [...trail.body.matchAll(/<tr><td>[^<]*<\/td><td>([a-z._]+)<\/td>/g)].map((m) => m[1]);
      assert.equal(types[0], 'mfa.reset');
      assert.ok(types.includes('mfa.challenge_succeeded'), 'Ada’s own sign-in is there');
      const resets = await b.get('/admin/companies/ridge/audit?type=mfa.reset');
      assert.deepEqual([...resets.body.matchAll(/<tr><td>[^<]*<\/td><td>([a-z._]+)<\/td>/g)].map((m) => m[1]), ['mfa.reset']);
      const byEmail = await b.get(`/admin/companies/ridge/audit?email=${encodeURIComponent(ADA.email)}`);
      assert.doesNotMatch(byEmail.body, /<td>mfa\.reset<\/td>/, 'the reset is Tom’s event');
      const future = await b.get('/admin/companies/ridge/audit?from=2099-01-01');
      assert.match(future.body, /No events\./);
      const csv = await b.get('/admin/companies/ridge/audit?type=mfa.reset&format=csv');
      assert.match(csv.body, /^Time,Event,User,IP address,User agent,Details\r\n/);
      assert.match(csv.body, /,mfa\.reset,Tom\.Smith@ridge\.test,127\.0\.0\.1,/);
      const bad = await b.get('/admin/companies/ridge/audit?from=yesterday');
      assert.equal(bad.status, 400);
    });

    it('pages with a cursor, and a forged cursor shows nothing rather than failing', async () => {
      const b = browser();
      await consoleSignIn(b, ADA, clock);
      const meta = { ip: '192.0.2.7', userAgent: 'test' };
      const tom = await running.idp.stores.directory.findUser(TOM.id);
      for (let i = 0; i < 60; i++) await running.idp.stores.audit.record({ type: 'mfa.challenge_failed', userId: tom!.id, companyIds: ['ridge'], at: clock() + i, ...meta });
      const first = await b.get('/admin/companies/ridge/audit?type=mfa.challenge_failed');
      const next = /href="([^"]+cursor=[^"]+)"/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
      assert.ok(next, 'an "Older events" link');
      const second = await b.get(next);
      const rows = (body: string): number => [...body.matchAll(/<td>mfa\.challenge_failed<\/td>/g)].length;
      assert.deepEqual([rows(first.body), rows(second.body)], [50, 10]);
      const forged = await b.get('/admin/companies/ridge/audit?cursor=not-a-cursor');
      assert.equal(forged.status, 200);
      assert.match(forged.body, /No events\./);
    });
  });
}
