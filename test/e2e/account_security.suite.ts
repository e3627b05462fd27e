import assert from 'node:assert/strict';
import { type ManualClock } from '../../lib/clock.ts';
import { accountSignIn, csrfOf, SECURITY, stepUp } from '../helpers/account.ts';
import { DEE, follow, TOM } from '../helpers/admin.ts';
import { startAdminWorld, stopAdminWorld } from '../helpers/admin_world.ts';
import { Browser } from '../helpers/browser.ts';
import { type Backend, type RunningIdp } from '../helpers/idp.ts';
import type { TestSmtpServer } from '../helpers/smtp.ts';

/** My Profile Settings › Password & Security: entering, the overview, and the step-up before changes. */
export function accountSecuritySuite(backend: () => Backend): void {
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

  it('is reached through a sign-in at the provider, and shows the methods, the recovery code and the password', async () => {
    const page = await accountSignIn(browser(), TOM, clock);
    assert.match(page.body, /<h1>Password &amp; Security<\/h1>/);
    assert.match(page.body, /Two-Factor Authentication \(2FA\)/);
    assert.match(page.body, /Change Authenticator App/);
    assert.match(page.body, /Add Phone Number/);
    assert.match(page.body, /Account Recovery Code/);
    assert.match(page.body, /Change Password/);
    assert.match(page.body, /mfa\.challenge_succeeded/, 'the recent security events');
  });

  it('a user without MFA may enter, and is offered to set it up', async () => {
    const page = await accountSignIn(browser(), DEE, clock);
    assert.match(page.body, /Add Authenticator App/);
    assert.doesNotMatch(page.body, /Request New Code/);
  });

  it('asks for the password before a change; the sign-in’s own MFA counts for 15 minutes', async () => {
    const b = browser();
    await accountSignIn(b, TOM, clock);
    const page = await follow(b, await b.get(`${SECURITY}/verify?next=${encodeURIComponent(SECURITY)}`));
    assert.match(page.body, /Confirm Your Password/);
    const after = await follow(b, await b.post(`${SECURITY}/verify/password`, { _csrf: csrfOf(page), next: SECURITY, password: TOM.password }));
    assert.match(after.body, /<h1>Password &amp; Security<\/h1>/, 'the code Tom gave at sign-in a moment ago is recent enough');
  });

  it('asks for the password, then the app, before a change, and each counts for 15 minutes', async () => {
    const b = browser();
    await accountSignIn(b, TOM, clock);
    clock.advance(15 * 60_000 + 1000);
    const verify = await b.get(`${SECURITY}/verify?next=${encodeURIComponent(SECURITY)}`);
    const done = await stepUp(b, verify, TOM, clock);
    assert.equal(done.status, 200);
    assert.match(done.body, /<h1>Password &amp; Security<\/h1>/);
    const again = await b.get(`${SECURITY}/verify?next=${encodeURIComponent(SECURITY)}`);
    assert.equal(again.status, 303, 'fresh: straight on');
    clock.advance(15 * 60_000 + 1000);
    const stale = await follow(b, await b.get(`${SECURITY}/verify?next=${encodeURIComponent(SECURITY)}`));
    assert.match(stale.body, /Confirm Your Password/);
  });

  it('the code page’s recovery-code link explains that recovery codes are for sign-in', async () => {
    const b = browser();
    await accountSignIn(b, TOM, clock);
    const page = await b.get(`${SECURITY}/verify/mfa/recovery`);
    assert.equal(page.status, 200);
    assert.match(page.body, /A recovery code is for signing in/);
  });

  it('a wrong password is refused and counted', async () => {
    const b = browser();
    await accountSignIn(b, TOM, clock);
    const page = await follow(b, await b.get(`${SECURITY}/verify`));
    const wrong = await b.post(`${SECURITY}/verify/password`, { _csrf: csrfOf(page), next: SECURITY, password: 'not-the-password' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.body, /That password is not correct/);
  });

  it('refuses a form posted without its CSRF token', async () => {
    const b = browser();
    await accountSignIn(b, TOM, clock);
    const forged = await b.post(`${SECURITY}/verify/password`, { next: SECURITY, password: TOM.password });
    assert.equal(forged.status, 403);
  });

  it('an account whose MFA the company IdP runs sees no MFA controls', async () => {
    // ian@corp.test signs in through SSO only; his overview is read directly (no upstream IdP here).
    const { securityOverview } = await import('../../self_service/overview.ts');
    const overview = await securityOverview({ directory: running.idp.stores.directory, mfa: running.idp.mfa, store: running.idp.stores.mfaFactors, audit: running.idp.stores.audit }, 'usr_ian');
    assert.equal(overview?.mfaAtIdp, true);
    assert.equal(overview?.hasPassword, false);
  });
}
