import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SecurityEvents } from '../../audit/security_events.ts';
import { type ManualClock } from '../../lib/clock.ts';
import { securityEmail } from '../../mfa/security_emails.ts';
import { signInsOn } from '../../provider/sign_ins.ts';
import { AuthenticatorSelfService } from '../../self_service/authenticator.ts';
import { MethodSettings } from '../../self_service/methods.ts';
import { accountSignIn, csrfOf, SECURITY, stepUp } from '../helpers/account.ts';
import { DEE, follow, noticeIn, TOM, type Person } from '../helpers/admin.ts';
import { startAdminWorld, stopAdminWorld } from '../helpers/admin_world.ts';
import { refreshAs, signInForTokens, startAuthorization, WEB } from '../helpers/admin_api.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { type Backend, type RunningIdp } from '../helpers/idp.ts';
import { textOf } from '../helpers/mail_text.ts';
import { recoveryCodeIn, setupKeyIn, totpNow, uidIn } from '../helpers/mfa.ts';
import type { TestSmtpServer } from '../helpers/smtp.ts';

const APP = `${SECURITY}/app`;
const SETUP = `${APP}/mfa/totp`;
const MINUTE = 60_000;
/** A US number Tom gets straight in the store (SMS_COUNTRIES allows US): no text is ever sent here. */
const TOM_PHONE = { e164: '+12015550166', country: 'US', createdAt: 1 };

/**
 * Password & Security › Add / Change Authenticator App (and enrolling early), Remove, and the
 * preferred method, through the forms, with a real SMTP server for the emails.
 */
export function accountAppSuite(backend: () => Backend): void {
  let smtp: TestSmtpServer;
  let clock: ManualClock;
  let running: RunningIdp;

  beforeEach(async () => {
    ({ smtp, clock, running } = await startAdminWorld(backend()));
  });
  afterEach(async () => {
    await stopAdminWorld({ running, smtp });
  });

  const newBrowser = (): Browser => new Browser(running.issuer);
  const factorsOf = (userId: string) => running.idp.stores.mfaFactors.factorsOf(userId);
  const eventsOf = async (userId: string) => running.idp.stores.audit.forUser(userId, 30);

  /** From the page, to "Secure your Account" (the step-up on the way); returns the page and the new app's secret. */
  async function openSetup(b: Browser, who: Person): Promise<{ setup: Page; secret: string }> {
    const setup = await stepUp(b, await b.get(APP), who, clock);
    assert.equal(setup.status, 200, setup.body.slice(0, 300));
    assert.match(setup.body, /Secure your Account/);
    return { setup, secret: setupKeyIn(setup) };
  }

  /** "Enter the 6-digit verification code", Continue: the new app's code of the next time step. */
  async function submitCode(b: Browser, setup: Page, secret: string): Promise<Page> {
    clock.advance(30_000);
    return b.post(SETUP, { _csrf: csrfOf(setup), code: await totpNow(secret, clock) });
  }

  /** Dee adds an app through the forms, saves the recovery code, and is back on the page; returns the app's secret. */
  async function deeAddsAnApp(b: Browser): Promise<string> {
    await accountSignIn(b, DEE, clock);
    const { setup, secret } = await openSetup(b, DEE);
    const done = await submitCode(b, setup, secret);
    assert.equal(done.location, `${SECURITY}/mfa/recovery-code`);
    const save = await b.get(done.location);
    await b.post(`${SECURITY}/mfa/recovery-code`, { _csrf: csrfOf(save), saved: 'yes' });
    return secret;
  }

  /** The step-up for a change made from the page itself (Remove, Make preferred). */
  async function stepUpOnPage(b: Browser, who: Person): Promise<Page> {
    const page = await stepUp(b, await b.get(`${SECURITY}/verify?next=${encodeURIComponent(SECURITY)}`), who, clock);
    assert.match(page.body, /<h1>Password &amp; Security<\/h1>/);
    return page;
  }

  /** Signs in at the provider for the web app up to the MFA step; returns that page. */
  async function loginToMfaStep(b: Browser, who: Person): Promise<Page> {
    const started = await startAuthorization(running.issuer, WEB, { scope: 'openid' });
    const login = await follow(b, await b.get(started.url.href));
    const uid = uidIn(login);
    await b.post(`/interaction/${uid}/email`, { email: who.email });
    return follow(b, await b.post(`/interaction/${uid}/password`, { email: who.email, password: who.password }));
  }

  it('adds an app to an account without one: the setup screens, the recovery code shown and saved, the app preferred, the events and emails; the next login asks for the app', async () => {
    const b = newBrowser();
    const overview = await accountSignIn(b, DEE, clock);
    assert.match(overview.body, /Add Authenticator App/);
    const { setup, secret } = await openSetup(b, DEE);
    assert.match(setup.body, /<img src="data:image\/png;base64,/, 'the QR code');
    assert.match(setup.body, /href="otpauth:\/\/totp\/[^"]+secret=[A-Z2-7]+/, 'the otpauth link');
    assert.match(setup.body, /Get a Setup Key/);
    assert.match(setup.body, /Copy Key/);
    assert.match(setup.body, /<script src="\/assets\/copy_key.js" defer><\/script>/);
    assert.equal((await b.get('/assets/copy_key.js')).status, 200, 'the copy script is served (the CSP allows only scripts of our own)');
    assert.match(setup.body, /Enter the 6-digit verification code/);
    assert.match(setup.body, /<button type="submit" class="primary">Continue<\/button>/);
    assert.match(setup.body, /action="\/account\/security\/app\/mfa\/totp"/);
    assert.equal((await b.get(SETUP)).body.includes(secret), true, 'a reload shows the same key');

    const wrong = await b.post(SETUP, { _csrf: csrfOf(setup), code: (await totpNow(secret, clock)) === '000000' ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /That code is not right or has expired/);
    assert.equal((await factorsOf(DEE.id)).totp, false);

    const done = await submitCode(b, setup, secret);
    assert.equal(done.location, `${SECURITY}/mfa/recovery-code`, 'the first factor: its recovery code is shown');
    const save = await b.get(done.location);
    assert.match(save.body, /Save Your Recovery Code/);
    recoveryCodeIn(save);
    const unsaved = await b.post(`${SECURITY}/mfa/recovery-code`, { _csrf: csrfOf(save) });
    assert.equal(unsaved.status, 400, 'it must be saved');
    const back = await follow(b, await b.post(`${SECURITY}/mfa/recovery-code`, { _csrf: csrfOf(save), saved: 'yes' }));
    assert.match(back.body, /Change Authenticator App/);

    const factors = await factorsOf(DEE.id);
    assert.deepEqual([factors.totp, factors.preferred, factors.recoveryCode], [true, 'totp', true]);
    const events = await eventsOf(DEE.id);
    assert.deepEqual(events.slice(0, 2).map((e) => [e.type, e.detail?.['factor']]).sort(), [['mfa.enrolled', 'totp'], ['mfa.recovery_code_issued', undefined]]);
    await running.idp.mail.drain();
    const [enrolled] = smtp.to(DEE.email, 'Two-factor authentication is on');
    assert.ok(enrolled, 'the enrollment email');
    assert.match(textOf(enrolled.raw), /An authenticator app was set up/);
    assert.equal(smtp.to(DEE.email, 'You have a new recovery code').length, 1);

    // The next login asks for the app (accountSignIn asserts the code page), and takes its code.
    const next = await accountSignIn(newBrowser(), { ...DEE, secret }, clock);
    assert.match(next.body, /<h1>Password &amp; Security<\/h1>/);
  });

  it('enrolls early: a user whose company’s deadline is ahead sets up the app through the same flow', async () => {
    const b = newBrowser();
    await accountSignIn(b, DEE, clock);
    const delta = await running.idp.stores.directory.findCompany('delta');
    assert.ok(delta);
    await running.idp.stores.directory.saveCompany({ ...delta, mfa: { ...delta.mfa, required: true, enforcementDate: '2099-01-01' } });
    const page = await b.get(SECURITY);
    assert.match(page.body, /Your company will require two-factor authentication from <strong>2099-01-01<\/strong>/);
    assert.equal((await running.idp.mfa.requirementOf(DEE.id))?.kind, 'optional_enrollment');

    const { setup, secret } = await openSetup(b, DEE);
    assert.equal((await submitCode(b, setup, secret)).location, `${SECURITY}/mfa/recovery-code`);
    assert.equal((await factorsOf(DEE.id)).totp, true);
    assert.equal((await running.idp.mfa.requirementOf(DEE.id))?.kind, 'required', 'enrolled: asked at every sign-in from now on');
  });

  it('changes the app: the old one works until the new one is verified, then only the new one; the other sessions end and their refresh tokens are refused', async () => {
    const elsewhere = await signInForTokens(running.issuer, WEB, TOM, clock, { scope: 'openid offline_access' });
    assert.ok(elsewhere.refreshToken);
    const b = newBrowser();
    await accountSignIn(b, TOM, clock);
    const { setup, secret } = await openSetup(b, TOM);
    assert.notEqual(secret, TOM.secret);
    const recoveryBefore = await factorsOf(TOM.id);

    // The setup is open: the old app still signs in.
    const meanwhile = await signInForTokens(running.issuer, WEB, TOM, clock, { scope: 'openid offline_access' });
    assert.equal((await refreshAs(running.issuer, WEB, elsewhere.refreshToken)).status, 200);

    const done = await submitCode(b, setup, secret);
    assert.equal(done.location, SECURITY, 'not a first factor: no recovery code');
    const overview = await b.get(SECURITY);
    assert.match(noticeIn(overview) ?? '', /Your authenticator app was changed/);
    assert.match(noticeIn(overview) ?? '', /Your other sessions were signed out/);

    const factors = await factorsOf(TOM.id);
    assert.deepEqual([factors.totp, factors.recoveryCode, factors.recoveryCodeIssuedAt], [true, recoveryBefore.recoveryCode, recoveryBefore.recoveryCodeIssuedAt], 'a change issues no recovery code');
    const events = (await eventsOf(TOM.id)).map((e) => [e.type, e.detail?.['factor']]);
    assert.deepEqual(events[0], ['mfa.authenticator_replaced', 'totp']);
    assert.ok(!events.some(([type]) => type === 'mfa.recovery_code_issued' || type === 'mfa.enrolled'));
    await running.idp.mail.drain();
    const [changed] = smtp.to(TOM.email, 'Your authenticator app was changed');
    assert.ok(changed, 'the change email');
    assert.match(textOf(changed.raw), /A new authenticator app replaced the previous one/);

    // The other sessions ended, with their tokens; the one the change was made in stays.
    for (const other of [elsewhere, meanwhile]) {
      const refused = await refreshAs(running.issuer, WEB, other.refreshToken ?? '');
      assert.equal(refused.status, 400);
      assert.equal(refused.body['error'], 'invalid_grant');
      const again = await startAuthorization(running.issuer, WEB, { scope: 'openid' });
      assert.match((await follow(other.browser, await other.browser.get(again.url.href))).body, /name="email"/, 'the login screen');
    }
    const here = await startAuthorization(running.issuer, WEB, { scope: 'openid' });
    assert.ok((await followRedirects(b, await b.get(here.url.href))).callback, 'the session the change was made in is kept');

    // The next login: the old app's code is refused, the new one's accepted.
    const next = newBrowser();
    const codePage = await loginToMfaStep(next, TOM);
    assert.match(codePage.body, /Enter Your 6-digit Verification Code/);
    clock.advance(30_000);
    const old = await next.post(`/interaction/${uidIn(codePage)}/mfa/verify`, { code: await totpNow(TOM.secret ?? '', clock) });
    assert.equal(old.status, 401);
    assert.match(old.body, /That code is not right or has expired/);
    const accepted = await next.post(`/interaction/${uidIn(codePage)}/mfa/verify`, { code: await totpNow(secret, clock) });
    assert.ok((await followRedirects(next, accepted)).callback, 'the new app signs in');
  });

  it('a setup page cannot commit once the factors changed elsewhere: of two racing changes one wins, and a page opened before loses', async () => {
    // Three sessions of Tom's, each with its own setup page open; each proved the app at sign-in, so
    // each passes the step-up: only the compare-and-set on the factors' version stands in the way.
    const opened: { browser: Browser; setup: Page; secret: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const browser = newBrowser();
      await accountSignIn(browser, TOM, clock);
      opened.push({ browser, ...(await openSetup(browser, TOM)) });
    }
    const [first, second, late] = opened as [(typeof opened)[0], (typeof opened)[0], (typeof opened)[0]];
    clock.advance(30_000);
    const racing = await Promise.all([first, second].map(async (o) => o.browser.post(SETUP, { _csrf: csrfOf(o.setup), code: await totpNow(o.secret, clock) })));
    // The loser stores nothing: either its commit lost the compare-and-set (409), or the winner's
    // change had already signed its session out (403), whichever came first.
    const statuses = racing.map((r) => r.status);
    assert.equal(statuses.filter((status) => status === 303).length, 1, `one wins: ${statuses.join(', ')}`);
    const loser = racing.find((r) => r.status !== 303);
    assert.ok(loser?.status === 409 ? /Nothing Was Changed/.test(loser.body) : loser?.status === 403 && /Signed out/.test(loser.body), `${loser?.status}: ${loser?.body.slice(0, 200)}`);
    const winner = racing[0]?.status === 303 ? first : second;
    assert.equal(racing[racing[0]?.status === 303 ? 0 : 1]?.location, SECURITY);

    // The third page was opened before the change: it cannot commit, even with a right code (its
    // session was signed out by the change, and its factor version is stale anyway).
    const stale = await submitCode(late.browser, late.setup, late.secret);
    assert.ok([403, 409].includes(stale.status), String(stale.status));
    assert.equal((await eventsOf(TOM.id)).filter((e) => e.type === 'mfa.authenticator_replaced').length, 1);

    // The winner's app is the account's: the next login takes its code.
    await accountSignIn(newBrowser(), { ...TOM, secret: winner.secret }, clock);

    // In one session, a setup page whose account changed meanwhile (a phone added elsewhere) stores nothing.
    const b = newBrowser();
    await accountSignIn(b, { ...TOM, secret: winner.secret }, clock);
    const again = await openSetup(b, TOM);
    await running.idp.stores.mfaFactors.savePhone(TOM.id, TOM_PHONE);
    const lost = await submitCode(b, again.setup, again.secret);
    assert.equal(lost.status, 409);
    assert.match(lost.body, /Your sign-in methods changed while you were doing this/);
  });

  it('refuses to remove the last method while MFA is required, and says why; removes a method that is not, moving the preference', async () => {
    const b = newBrowser();
    await accountSignIn(b, TOM, clock);
    const page = await stepUpOnPage(b, TOM);
    const refused = await b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'totp' });
    assert.equal(refused.status, 409);
    assert.match(refused.body, /This Method Cannot Be Removed/);
    assert.match(refused.body, /two-factor authentication is required for your account, so it cannot be removed\. Add another method first/);
    assert.equal((await factorsOf(TOM.id)).totp, true);
    assert.ok(!(await eventsOf(TOM.id)).some((e) => e.type === 'mfa.method_removed'));

    // With a phone as well, the app may go: the phone becomes the preferred method.
    await running.idp.stores.mfaFactors.savePhone(TOM.id, TOM_PHONE);
    const removed = await b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'totp' });
    assert.equal(removed.location, SECURITY);
    assert.match(noticeIn(await b.get(SECURITY)) ?? '', /Authenticator App was removed\. SMS Verification is your preferred method\./);
    const factors = await factorsOf(TOM.id);
    assert.deepEqual([factors.totp, factors.phone?.e164, factors.preferred], [false, TOM_PHONE.e164, 'sms']);
    const [event] = await eventsOf(TOM.id);
    assert.deepEqual([event?.type, event?.detail], ['mfa.method_removed', { factor: 'totp' }]);
    // …and the phone is now the last one.
    const last = await b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'sms' });
    assert.equal(last.status, 409);
    assert.ok((await factorsOf(TOM.id)).phone);
    const absent = await b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'totp' });
    assert.equal(absent.status, 409);
    assert.match(absent.body, /not set up on your account/);
  });

  it('removes the last method when MFA is not required: the recovery code goes with it, an email says so, and the next login asks for no code', async () => {
    const b = newBrowser();
    const secret = await deeAddsAnApp(b);
    assert.equal((await factorsOf(DEE.id)).recoveryCode, true);
    // Later, with the password to enter again; Dee's sign-in proved no second factor, so the step-up asks for the new app too.
    clock.advance(16 * MINUTE);
    const page = await stepUpOnPage(b, { ...DEE, secret });
    const removed = await b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'totp' });
    assert.equal(removed.location, SECURITY);
    const overview = await b.get(SECURITY);
    assert.match(noticeIn(overview) ?? '', /It was your last method: two-factor authentication is off, and your recovery code was removed with it/);
    assert.match(overview.body, /Add Authenticator App/);
    assert.match(overview.body, /You have no recovery code/);

    const factors = await factorsOf(DEE.id);
    assert.deepEqual([factors.totp, factors.phone, factors.preferred, factors.recoveryCode], [false, undefined, undefined, false]);
    const [event] = await eventsOf(DEE.id);
    assert.deepEqual([event?.type, event?.detail], ['mfa.method_removed', { factor: 'totp', lastFactor: 'yes' }]);
    await running.idp.mail.drain();
    const [email] = smtp.to(DEE.email, 'A two-factor method was removed');
    assert.ok(email, 'the removal email');
    assert.match(textOf(email.raw), /two-factor authentication is now off for your account, and your recovery code was removed/);

    const next = await accountSignIn(newBrowser(), DEE, clock);
    assert.match(next.body, /<h1>Password &amp; Security<\/h1>/, 'no code asked');
  });

  it('the preferred method is the default on the next login’s chooser; only a method the account may use can be preferred', async () => {
    await running.idp.stores.mfaFactors.savePhone(TOM.id, TOM_PHONE);
    const b = newBrowser();
    const start = await b.get(SECURITY);
    let page = await follow(b, start);
    const uid = uidIn(page);
    await b.post(`/interaction/${uid}/email`, { email: TOM.email });
    const chooser = await follow(b, await b.post(`/interaction/${uid}/password`, { email: TOM.email, password: TOM.password }));
    assert.match(chooser.body, /How Do You Want to Verify Your Identity/);
    assert.match(chooser.body, /value="totp" checked/, 'the app first, before any choice');
    page = await follow(b, await b.post(`/interaction/${uidIn(chooser)}/mfa/choose`, { method: 'totp' }));
    clock.advance(30_000);
    page = await follow(b, await b.post(`/interaction/${uidIn(page)}/mfa/verify`, { code: await totpNow(TOM.secret ?? '', clock) }));
    assert.match(page.body, /<h1>Password &amp; Security<\/h1>/);
    assert.match(page.body, /<form method="post" action="\/account\/security\/methods\/preferred"[^]*?name="method" value="sms"/, 'the button');

    page = await stepUpOnPage(b, TOM);
    const set = await b.post(`${SECURITY}/methods/preferred`, { _csrf: csrfOf(page), method: 'sms' });
    assert.equal(set.location, SECURITY);
    const overview = await b.get(SECURITY);
    assert.match(noticeIn(overview) ?? '', /SMS Verification is now your preferred method/);
    assert.match(overview.body, /id="method-sms"[^]*?<span class="badge">Preferred<\/span>/);
    assert.equal((await factorsOf(TOM.id)).preferred, 'sms');

    // A later re-verification on this page with the app does not undo the choice.
    clock.advance(16 * 60_000);
    const verify = await follow(b, await b.get(`${SECURITY}/verify?next=${encodeURIComponent(SECURITY)}`));
    await stepUp(b, verify, TOM, clock);
    assert.equal((await factorsOf(TOM.id)).preferred, 'sms', 'still SMS after verifying with the app');

    const next = await loginToMfaStep(newBrowser(), TOM);
    assert.match(next.body, /How Do You Want to Verify Your Identity/);
    assert.match(next.body, /value="sms" checked/, 'the preferred method is the default');
    assert.doesNotMatch(next.body, /value="totp" checked/);

    // A method the account does not hold, or no method at all: refused, nothing changed.
    await running.idp.stores.mfaFactors.removePhone(TOM.id);
    const gone = await b.post(`${SECURITY}/methods/preferred`, { _csrf: csrfOf(page), method: 'sms' });
    assert.equal(gone.status, 409);
    assert.match(gone.body, /not a method you can sign in with now/);
    assert.equal((await b.post(`${SECURITY}/methods/preferred`, { _csrf: csrfOf(page), method: 'pigeon' })).status, 400);
  });

  it('asks for the step-up first: a direct GET or POST changes nothing; a stale MFA (16 minutes) is asked again, then the flow starts over', async () => {
    await running.idp.stores.mfaFactors.savePhone(TOM.id, TOM_PHONE);
    await running.idp.stores.mfaFactors.setPreferredMethod(TOM.id, 'totp');
    const b = newBrowser();
    // Tom has two methods: the chooser, then the app.
    let page = await follow(b, await b.get(SECURITY));
    const uid = uidIn(page);
    await b.post(`/interaction/${uid}/email`, { email: TOM.email });
    page = await follow(b, await b.post(`/interaction/${uid}/password`, { email: TOM.email, password: TOM.password }));
    page = await follow(b, await b.post(`/interaction/${uidIn(page)}/mfa/choose`, { method: 'totp' }));
    clock.advance(30_000);
    const overview = await follow(b, await b.post(`/interaction/${uidIn(page)}/mfa/verify`, { code: await totpNow(TOM.secret ?? '', clock) }));
    const csrf = csrfOf(overview);
    const before = await factorsOf(TOM.id);

    const verifyApp = /^\/account\/security\/verify\?next=%2Faccount%2Fsecurity%2Fapp$/;
    const verifyPage = /^\/account\/security\/verify\?next=%2Faccount%2Fsecurity$/;
    assert.match((await b.get(APP)).location ?? '', verifyApp);
    assert.match((await b.get(SETUP)).location ?? '', verifyApp);
    assert.match((await b.post(SETUP, { _csrf: csrf, code: '123456' })).location ?? '', verifyApp);
    assert.match((await b.post(`${SECURITY}/methods/remove`, { _csrf: csrf, method: 'totp' })).location ?? '', verifyPage);
    assert.match((await b.post(`${SECURITY}/methods/preferred`, { _csrf: csrf, method: 'sms' })).location ?? '', verifyPage);
    assert.deepEqual(await factorsOf(TOM.id), before, 'nothing changed');

    // Ten minutes on, the password: the sign-in's MFA is still recent, the setup page opens.
    clock.advance(10 * MINUTE);
    assert.match((await follow(b, await b.get(APP))).body, /Confirm Your Password/);
    page = await follow(b, await b.post(`${SECURITY}/verify/password`, { _csrf: csrf, next: APP, password: TOM.password }));
    assert.match(page.body, /Secure your Account/);
    const staleSecret = setupKeyIn(page);

    // Six more: the password is recent, the MFA is not (16 minutes). The commit is refused and the MFA asked again.
    clock.advance(6 * MINUTE);
    const stale = await b.post(SETUP, { _csrf: csrf, code: await totpNow(staleSecret, clock) });
    assert.match(stale.location ?? '', verifyApp);
    assert.match((await b.post(`${SECURITY}/methods/remove`, { _csrf: csrf, method: 'totp' })).location ?? '', verifyPage);
    assert.deepEqual(await factorsOf(TOM.id), before, 'nothing changed');
    page = await follow(b, stale);
    assert.match(page.body, /How Do You Want to Verify Your Identity/, 'the MFA only, with the method Tom picks');
    assert.doesNotMatch(page.body, /Confirm Your Password/);
    assert.match((await follow(b, await b.post(`${SECURITY}/verify/mfa/choose`, { _csrf: csrf, method: 'totp' }))).body, /Enter Your 6-digit Verification Code/);
    clock.advance(30_000);
    page = await follow(b, await b.post(`${SECURITY}/verify/mfa/verify`, { _csrf: csrf, code: await totpNow(TOM.secret ?? '', clock) }));
    assert.match(page.body, /Secure your Account/, 'back to the start of the flow');
    const secret = setupKeyIn(page);
    assert.notEqual(secret, staleSecret, 'a new start: a new key');
    assert.equal((await submitCode(b, page, secret)).location, SECURITY);
  });

  it('refuses a form posted without its CSRF token', async () => {
    const b = newBrowser();
    await accountSignIn(b, DEE, clock);
    const { setup, secret } = await openSetup(b, DEE);
    clock.advance(30_000);
    const code = await totpNow(secret, clock);
    assert.equal((await b.post(SETUP, { code })).status, 403);
    assert.equal((await b.post(SETUP, { _csrf: 'forged', code })).status, 403);
    assert.equal((await b.post(`${SECURITY}/methods/remove`, { method: 'totp' })).status, 403);
    assert.equal((await b.post(`${SECURITY}/methods/preferred`, { method: 'totp' })).status, 403);
    assert.equal((await factorsOf(DEE.id)).totp, false);
    // The same code, with the token: accepted.
    assert.equal((await b.post(SETUP, { _csrf: csrfOf(setup), code })).status, 303);
  });

  it('refuses accounts whose MFA the company’s IdP runs, in the use cases and through the forms', async () => {
    const { stores } = running.idp;
    const events = new SecurityEvents({ audit: stores.audit, mail: running.idp.mail, emailFor: securityEmail, directory: stores.directory, clock, logger: pino({ level: 'silent' }), productName: 'Test' });
    const deps = { mfa: running.idp.mfa, store: stores.mfaFactors, flow: stores.flow, events, signIns: signInsOn(() => running.idp.app, stores.oidcAccounts, 86_400) };
    const meta = { ip: '127.0.0.1', userAgent: 'test' };
    // ian@corp.test signs in through corp's IdP, which runs his MFA.
    assert.deepEqual(await new AuthenticatorSelfService(deps).begin('usr_ian', 'flow-of-ian'), { ok: false, reason: 'idp_managed' });
    assert.deepEqual(await new MethodSettings(deps).remove('usr_ian', 'totp', meta), { ok: false, reason: 'idp_managed' });
    assert.deepEqual(await new MethodSettings(deps).prefer('usr_ian', 'totp'), { ok: false, reason: 'idp_managed' });

    // Tom's company login becomes corp's SSO with `mfa: "idp"` while he is on the page: every flow refuses him.
    const b = newBrowser();
    await accountSignIn(b, TOM, clock);
    const { setup, secret } = await openSetup(b, TOM);
    const corp = await stores.directory.findCompany('corp');
    assert.ok(corp);
    await stores.directory.saveCompany({ ...corp, emailDomains: [...corp.emailDomains, 'ridge.test'] });
    const [ridge] = await stores.directory.membershipsOfUser(TOM.id);
    assert.ok(ridge);
    await stores.directory.saveMembership({ ...ridge, companyId: 'corp' });
    const before = await factorsOf(TOM.id);

    const start = await b.get(APP);
    assert.equal(start.status, 403);
    assert.match(start.body, /managed by your company&#39;s identity provider/);
    clock.advance(30_000);
    assert.equal((await b.post(SETUP, { _csrf: csrfOf(setup), code: await totpNow(secret, clock) })).status, 403);
    assert.equal((await b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(setup), method: 'totp' })).status, 403);
    assert.equal((await b.post(`${SECURITY}/methods/preferred`, { _csrf: csrfOf(setup), method: 'totp' })).status, 403);
    assert.deepEqual(await factorsOf(TOM.id), before, 'nothing changed');
    assert.doesNotMatch((await b.get(SECURITY)).body, /Change Authenticator App/);
  });
}
