import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SecurityEvents } from '../../audit/security_events.ts';
import { LoginThrottle } from '../../directory/login_throttle.ts';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { securityEmail } from '../../mfa/security_emails.ts';
import { signInsOn } from '../../provider/sign_ins.ts';
import { PasswordSelfService } from '../../self_service/password.ts';
import { accountSignIn, csrfOf, SECURITY, stepUp } from '../helpers/account.ts';
import { ADMIN_SEED, DEE, follow, noticeIn, TOM, type Person } from '../helpers/admin.ts';
import { refreshAs, signInForTokens, startAuthorization, WEB } from '../helpers/admin_api.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { textOf } from '../helpers/mail_text.ts';
import { uidIn } from '../helpers/mfa.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';
import { userinfoStatus } from '../helpers/token_endpoint.ts';

const PASSWORD = `${SECURITY}/password`;
const MINUTE = 60_000;
/** 12 characters, not guessable: enough with MFA, too short as the only factor. */
const TWELVE = 'qL8#vR2!xZ4m';
const STRONG = 'quartz lantern otter 93';

/**
 * Password & Security › Change Password, through the form: the step-up, the NIST rule, the current
 * password through the sign-in limits, and what a change ends.
 */
export function accountPasswordSuite(backend: () => Backend): void {
  let running: RunningIdp;
  let clock: ManualClock;
  let smtp: TestSmtpServer;

  const start = async (env: Record<string, string> = {}): Promise<void> => {
    running = await startIdp(backend(), { clock, smtpUrl: smtp.url, env: { SEED_FILE: ADMIN_SEED, ...env } });
  };

  beforeEach(async () => {
    smtp = new TestSmtpServer();
    await smtp.start();
    clock = manualClock();
  });
  afterEach(async () => {
    await running.close();
    await smtp.stop();
  });

  const hashOf = async (userId: string): Promise<string | undefined> => (await running.idp.stores.directory.findUser(userId))?.passwordHash;

  /** Signed in to Password & Security and past the step-up: the Change Password form. */
  async function atForm(who: Person, b = new Browser(running.issuer)): Promise<{ b: Browser; form: Page }> {
    await accountSignIn(b, who, clock);
    const form = await stepUp(b, await b.get(PASSWORD), who, clock);
    assert.equal(form.status, 200, form.body.slice(0, 300));
    assert.match(form.body, /<h1>Change Password<\/h1>/);
    return { b, form };
  }

  const submit = (b: Browser, form: Page, current: string, next: string): Promise<Page> => b.post(PASSWORD, { _csrf: csrfOf(form), current_password: current, new_password: next });

  /** The password step of a sign-in at the provider: 303 on to the next step, 401 for a wrong password, 429 when limited. */
  async function passwordStatus(who: Person): Promise<number> {
    const b = new Browser(running.issuer);
    const login = await follow(b, await b.get(SECURITY));
    const uid = uidIn(login);
    await b.post(`/interaction/${uid}/email`, { email: who.email });
    return (await b.post(`/interaction/${uid}/password`, { email: who.email, password: who.password })).status;
  }

  it('changes the password: the old one is refused at the next login, the new one works; other sessions and their refresh tokens end; email and audit', async () => {
    await start();
    // Tom is also signed in to an app in another browser, with a refresh token.
    const elsewhere = await signInForTokens(running.issuer, WEB, TOM, clock, { scope: 'openid email offline_access' });
    assert.ok(elsewhere.refreshToken);
    // …and on Password & Security in a third browser.
    const thirdBrowser = new Browser(running.issuer);
    await accountSignIn(thirdBrowser, TOM, clock);
    const { b, form } = await atForm(TOM);
    assert.match(form.body, /name="current_password" type="password" autocomplete="current-password"/);
    assert.match(form.body, /name="new_password" type="password" autocomplete="new-password"/);
    assert.match(form.body, /<button type="submit" class="primary">Change Password<\/button>/);
    assert.match(form.body, /At least 8 characters/);
    const before = await hashOf(TOM.id);

    const done = await submit(b, form, TOM.password, STRONG);
    assert.equal(done.status, 303, done.body.slice(0, 500));
    assert.equal(done.location, SECURITY);
    assert.match(noticeIn(await b.get(SECURITY)) ?? '', /Your password was changed\. Your other sessions were signed out\./);
    const after = await hashOf(TOM.id);
    assert.notEqual(after, before);
    assert.match(after ?? '', /^\$argon2id\$/);

    // The other browser's session and its tokens are gone; this one's session stays.
    const refreshed = await refreshAs(running.issuer, WEB, elsewhere.refreshToken);
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.body['error'], 'invalid_grant');
    assert.equal(await userinfoStatus(running.issuer, elsewhere.accessToken), 401);
    const other = await startAuthorization(running.issuer, WEB, { scope: 'openid' });
    assert.match((await follow(elsewhere.browser, await elsewhere.browser.get(other.url.href))).body, /name="email"/, 'the login screen');
    const here = await startAuthorization(running.issuer, WEB, { scope: 'openid' });
    assert.ok((await followRedirects(b, await b.get(here.url.href))).callback, 'the session the change was made in is kept');
    assert.equal((await thirdBrowser.get(SECURITY)).status, 303, 'Password & Security in the other browser asks for a sign-in again');
    assert.equal((await b.get(SECURITY)).status, 200, 'and stays open here');

    // The next logins: the old password is refused, the new one works.
    assert.equal(await passwordStatus(TOM), 401);
    const landed = await accountSignIn(new Browser(running.issuer), { ...TOM, password: STRONG }, clock);
    assert.match(landed.body, /<h1>Password &amp; Security<\/h1>/);

    const events = (await running.idp.stores.audit.forUser(TOM.id, 20)).map((e) => e.type);
    assert.ok(events.includes('password.changed'));
    await running.idp.mail.drain();
    const [email] = smtp.to(TOM.email, 'Your password was changed');
    assert.ok(email, 'the change email');
    const text = textOf(email.raw);
    assert.match(text, /Your other sessions were signed out/);
    assert.ok(!email.raw.includes(STRONG) && !email.raw.includes(TOM.password), 'no password in the email');
  });
  it('refuses a common password, one with the email or the product name, and one over 128 characters, each with a clear message', async () => {
    await start();
    const { b, form } = await atForm(TOM);
    const before = await hashOf(TOM.id);
    const refusals: [string, string, RegExp][] = [
      ['a common password', 'password123', /This password is too common or too easy to guess\./],
      ['a common one dressed up', 'P@ssw0rd2024', /too common or too easy to guess/],
      ['the email', 'tom.smith@RIDGE.test!', /must not contain your email address/],
      ['the part before the @', 'x-TomSmith-quartz-9', /must not contain your email address/],
      ['the product name', 'my groundwork id lantern', /must not contain “Groundwork ID”/],
      ['129 characters', 'quartz lantern otter '.repeat(7).slice(0, 129), /Use at most 128 characters/],
      ['5,000 characters (past the form’s own bound)', 'q'.repeat(5000), /Use at most 128 characters/],
      ['the current one again', TOM.password, /different from your current one/],
    ];
    for (const [what, next, message] of refusals) {
      const refused = await submit(b, form, TOM.password, next);
      assert.equal(refused.status, 400, what);
      assert.match(refused.body, message, what);
      assert.match(refused.body, /role="alert"/, what);
    }
    assert.equal(await hashOf(TOM.id), before, 'nothing changed');
    assert.equal((await submit(b, form, TOM.password, 'quartz lantern otter '.repeat(7).slice(0, 128))).status, 303, '128 characters are fine');
  });

  it('asks 15 characters of a password that is the only factor (Dee, no MFA), 8 of one with MFA (Tom)', async () => {
    await start();
    const dee = await atForm(DEE);
    assert.match(dee.form.body, /At least 15 characters/);
    const before = await hashOf(DEE.id);
    for (const next of [TWELVE.slice(0, 8), TWELVE, `${TWELVE}ab`]) {
      const refused = await submit(dee.b, dee.form, DEE.password, next);
      assert.equal(refused.status, 400, `${next.length} characters`);
      assert.match(refused.body, /Use at least 15 characters/);
    }
    assert.equal(await hashOf(DEE.id), before);
    assert.equal((await submit(dee.b, dee.form, DEE.password, `${TWELVE}abc`)).status, 303, '15 characters');

    const tom = await atForm(TOM);
    assert.equal((await submit(tom.b, tom.form, TOM.password, TWELVE.slice(0, 8))).status, 303, '8 characters with MFA');
    assert.equal(await passwordStatus({ ...TOM, password: TWELVE.slice(0, 8) }), 303, 'the password step passed: on to the code');
  });

  it('refuses a wrong current password and counts it as a failed sign-in', async () => {
    await start({ LOGIN_ACCOUNT_MAX_FAILURES: '3' });
    const { b, form } = await atForm(TOM);
    const before = await hashOf(TOM.id);
    for (let i = 0; i < 3; i++) {
      const wrong = await submit(b, form, 'not-the-password', STRONG);
      assert.equal(wrong.status, 401);
      assert.match(wrong.body, /Your current password is not correct/);
    }
    // The account's limit is reached: the right password is refused too, here and at sign-in.
    const locked = await submit(b, form, TOM.password, STRONG);
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.equal(await passwordStatus(TOM), 429);
    assert.equal(await hashOf(TOM.id), before);
  });

  it('changes nothing without the step-up, nor once the MFA is older than 15 minutes', async () => {
    await start();
    const b = new Browser(running.issuer);
    const overview = await accountSignIn(b, TOM, clock);
    const before = await hashOf(TOM.id);
    const direct = await b.post(PASSWORD, { _csrf: csrfOf(overview), current_password: TOM.password, new_password: STRONG });
    assert.equal(direct.status, 303);
    assert.equal(direct.location, `${SECURITY}/verify?next=${encodeURIComponent(PASSWORD)}`);
    assert.equal((await b.get(PASSWORD)).location, direct.location);

    const form = await stepUp(b, direct, TOM, clock);
    clock.advance(16 * MINUTE);
    const stale = await submit(b, form, TOM.password, STRONG);
    assert.equal(stale.status, 303);
    assert.equal(stale.location, direct.location);
    assert.equal(await hashOf(TOM.id), before);
    assert.ok(!(await running.idp.stores.audit.forUser(TOM.id, 20)).some((e) => e.type === 'password.changed'));

    // The password and the app again: the form comes back, and the change goes through.
    const again = await stepUp(b, stale, TOM, clock);
    assert.match(again.body, /<h1>Change Password<\/h1>/);
    assert.equal((await submit(b, again, TOM.password, STRONG)).status, 303);
  });

  it('refuses a form posted without its CSRF token', async () => {
    await start();
    const { b, form } = await atForm(TOM);
    const before = await hashOf(TOM.id);
    assert.equal((await b.post(PASSWORD, { current_password: TOM.password, new_password: STRONG })).status, 403);
    assert.equal((await b.post(PASSWORD, { _csrf: 'forged', current_password: TOM.password, new_password: STRONG })).status, 403);
    assert.equal(await hashOf(TOM.id), before);
    assert.equal((await submit(b, form, TOM.password, STRONG)).status, 303);
  });

  it('an account without a password (SSO) has no form, and the use case refuses a change', async () => {
    await start();
    const { stores } = running.idp;
    const events = new SecurityEvents({ audit: stores.audit, mail: running.idp.mail, emailFor: securityEmail, directory: stores.directory, clock, logger: pino({ level: 'silent' }), productName: 'Test' });
    const limits = { account: { maxFailures: 10, windowSeconds: 900, lockSeconds: 900 }, ip: { maxFailures: 100, windowSeconds: 3600, lockSeconds: 3600 } };
    const service = new PasswordSelfService({
      directory: stores.directory,
      throttle: new LoginThrottle(limits, stores.limiters),
      mfa: running.idp.mfa,
      events,
      signIns: signInsOn(() => running.idp.app, stores.oidcAccounts, 86_400),
      productName: 'Groundwork ID',
    });
    // ian@corp.test signs in through corp's IdP only.
    assert.deepEqual(await service.start('usr_ian'), { ok: false, reason: 'no_password' });
    assert.deepEqual(await service.change('usr_ian', { current: '', next: STRONG }, { ip: '127.0.0.1', userAgent: 'test' }, undefined), { ok: false, reason: 'no_password' });
    assert.equal(await hashOf('usr_ian'), undefined);
    assert.ok(!(await stores.audit.forUser('usr_ian', 20)).some((e) => e.type === 'password.changed'));
    assert.deepEqual(await service.start(TOM.id), { ok: true, minLength: 8 });
    assert.deepEqual(await service.start(DEE.id), { ok: true, minLength: 15 });

    // Through the forms: an account signed in whose password is then removed (as an SSO-only one has none).
    const b = new Browser(running.issuer);
    const overview = await accountSignIn(b, DEE, clock);
    const dee = await stores.directory.findUser(DEE.id);
    assert.ok(dee);
    await stores.directory.saveUser({ ...dee, passwordHash: undefined });
    const shown = await b.get(SECURITY);
    assert.doesNotMatch(shown.body, /Change Password/);
    assert.match(shown.body, /there is no password here/);
    const page = await b.get(PASSWORD);
    assert.equal(page.status, 403);
    assert.doesNotMatch(page.body, /name="new_password"/);
    const posted = await b.post(PASSWORD, { _csrf: csrfOf(overview), current_password: '', new_password: STRONG });
    assert.equal(posted.status, 403);
    assert.match(posted.body, /there is no password here/);
    assert.equal(await hashOf(DEE.id), undefined);
  });
}
