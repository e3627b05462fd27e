import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SecurityEvents } from '../../audit/security_events.ts';
import { type ManualClock } from '../../lib/clock.ts';
import { securityEmail } from '../../mfa/security_emails.ts';
import { requestNewRecoveryCode } from '../../self_service/recovery.ts';
import { accountSignIn, csrfOf, SECURITY, stepUp } from '../helpers/account.ts';
import { DEE, follow, TOM, type Person } from '../helpers/admin.ts';
import { startAdminWorld, stopAdminWorld } from '../helpers/admin_world.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { type Backend, type RunningIdp } from '../helpers/idp.ts';
import { textOf } from '../helpers/mail_text.ts';
import { recoveryCodeIn, totpNow, uidIn } from '../helpers/mfa.ts';
import type { TestSmtpServer } from '../helpers/smtp.ts';

const REQUEST = `${SECURITY}/recovery-code`;
const SHOWN = `${SECURITY}/mfa/recovery-code`;
const MINUTE = 60_000;

/**
 * Password & Security › Request New Code, through the forms: the step-up (the identity check), the
 * confirmation, the code shown once; the old code refused at sign-in and the new one working once.
 */
export function accountRecoverySuite(backend: () => Backend): void {
  let running: RunningIdp;
  let clock: ManualClock;
  let smtp: TestSmtpServer;

  beforeEach(async () => {
    ({ smtp, clock, running } = await startAdminWorld(backend()));
  });
  afterEach(async () => {
    await stopAdminWorld({ running, smtp });
  });

  const issuedEvents = async (userId: string): Promise<number> => (await running.idp.stores.audit.forUser(userId, 50)).filter((e) => e.type === 'mfa.recovery_code_issued').length;

  /** From the confirmation page: Request New Code, then the code on Save Your Recovery Code, saved. */
  async function requestFrom(b: Browser, confirm: Page): Promise<string> {
    assert.match(confirm.body, /Request a New Recovery Code/, confirm.body.slice(0, 300));
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1];
    assert.ok(token);
    const issued = await b.post(REQUEST, { _csrf: csrfOf(confirm), token });
    assert.equal(issued.status, 303, issued.body.slice(0, 300));
    assert.equal(issued.location, SHOWN);
    const save = await b.get(SHOWN);
    const code = recoveryCodeIn(save);
    const back = await follow(b, await b.post(SHOWN, { _csrf: csrfOf(save), saved: 'yes' }));
    assert.match(back.body, /Your new recovery code is saved/);
    return code;
  }

  /** A sign-in at the provider up to its MFA step; returns the MFA interaction's uid. */
  async function atMfaStep(who: Person): Promise<{ browser: Browser; uid: string }> {
    const browser = new Browser(running.issuer);
    const login = await follow(browser, await browser.get(SECURITY));
    const uid = uidIn(login);
    await browser.post(`/interaction/${uid}/email`, { email: who.email });
    const page = await follow(browser, await browser.post(`/interaction/${uid}/password`, { email: who.email, password: who.password }));
    assert.match(page.body, /Enter Your 6-digit Verification Code/);
    return { browser, uid: uidIn(page) };
  }

  const useRecoveryCode = async (code: string): Promise<Page> => {
    const { browser, uid } = await atMfaStep(TOM);
    return browser.post(`/interaction/${uid}/mfa/recovery`, { recovery_code: code });
  };

  it('verifies the identity, shows the new code once, voids the old one; the new one signs in once; email and audit', async () => {
    const b = new Browser(running.issuer);
    const overview = await accountSignIn(b, TOM, clock);
    assert.match(overview.body, /Request New Code/);
    // The overview's button: the step-up first, which comes back to the confirmation.
    const asked = await b.post(REQUEST, { _csrf: csrfOf(overview) });
    assert.equal(asked.status, 303);
    assert.equal(asked.location, `${SECURITY}/verify?next=${encodeURIComponent(REQUEST)}`);
    const oldCode = await requestFrom(b, await stepUp(b, asked, TOM, clock));

    // Within the step-up's 15 minutes, the overview's button leads straight to the confirmation.
    const again = await b.post(REQUEST, { _csrf: csrfOf(overview) });
    assert.equal(again.location, REQUEST);
    const newCode = await requestFrom(b, await b.get(REQUEST));
    assert.notEqual(newCode, oldCode);
    const page = await b.get(SECURITY);
    assert.match(page.body, /Your current code was issued on/);

    assert.equal(await issuedEvents(TOM.id), 2);
    const [latest] = await running.idp.stores.audit.forUser(TOM.id, 1);
    assert.equal(latest?.type, 'mfa.recovery_code_issued');
    assert.equal(latest?.detail?.['via'], 'self_service');
    await running.idp.mail.drain();
    const emails = smtp.to(TOM.email, 'You have a new recovery code');
    assert.equal(emails.length, 2);
    for (const email of emails) {
      assert.match(textOf(email.raw), /Any previous recovery code no longer works/);
      for (const code of [oldCode, newCode]) assert.ok(!email.raw.includes(code) && !email.raw.includes(code.replaceAll('-', '')), 'no code in an email');
    }

    // At sign-in: the old code is refused, the new one works once (two sign-ins waiting at the MFA step).
    assert.equal((await useRecoveryCode(oldCode)).status, 401, 'the voided code');
    const [first, second] = [await atMfaStep(TOM), await atMfaStep(TOM)];
    const used = await first.browser.post(`/interaction/${first.uid}/mfa/recovery`, { recovery_code: newCode });
    assert.equal(used.status, 303);
    assert.match(used.location ?? '', /\/mfa\/methods$/, 'signed in with it: set up a method again');
    assert.equal((await second.browser.post(`/interaction/${second.uid}/mfa/recovery`, { recovery_code: newCode })).status, 401, 'the used code');
    assert.equal((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).recoveryCode, false, 'used up');
  });

  it('lets the user pick the method when more than one is active', async () => {
    const b = new Browser(running.issuer);
    const overview = await accountSignIn(b, TOM, clock);
    // Tom adds a phone (stored directly here: the phone flow has its own tests).
    await running.idp.stores.mfaFactors.savePhone(TOM.id, { e164: '+12015550142', country: 'US', createdAt: clock() });
    clock.advance(16 * MINUTE);
    let page = await follow(b, await b.post(REQUEST, { _csrf: csrfOf(overview) }));
    page = await follow(b, await b.post(`${SECURITY}/verify/password`, { _csrf: csrfOf(page), next: REQUEST, password: TOM.password }));
    assert.match(page.body, /How Do You Want to Verify Your Identity/);
    assert.match(page.body, /value="totp"/);
    assert.match(page.body, /value="sms"/);
    page = await follow(b, await b.post(`${SECURITY}/verify/mfa/choose`, { _csrf: csrfOf(page), method: 'totp' }));
    clock.advance(30_000);
    page = await follow(b, await b.post(`${SECURITY}/verify/mfa/verify`, { _csrf: csrfOf(page), code: await totpNow(TOM.secret ?? '', clock) }));
    await requestFrom(b, page);
    assert.equal(await issuedEvents(TOM.id), 1);
  });

  it('issues nothing without the step-up, nor once the MFA is older than 15 minutes', async () => {
    const b = new Browser(running.issuer);
    const overview = await accountSignIn(b, TOM, clock);
    const csrf = csrfOf(overview);
    const direct = await b.post(REQUEST, { _csrf: csrf, token: 'made-up' });
    assert.equal(direct.status, 303);
    assert.match(direct.location ?? '', /^\/account\/security\/verify\?next=/);
    assert.equal((await b.get(REQUEST)).location, direct.location, 'the confirmation too');

    const confirm = await stepUp(b, direct, TOM, clock);
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    clock.advance(16 * MINUTE);
    const stale = await b.post(REQUEST, { _csrf: csrf, token });
    assert.equal(stale.status, 303);
    assert.match(stale.location ?? '', /^\/account\/security\/verify\?next=/);
    assert.equal(await issuedEvents(TOM.id), 0);
    assert.equal((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).recoveryCode, false);

    // The password and the app again, and the request goes through.
    await requestFrom(b, await stepUp(b, stale, TOM, clock));
    assert.equal(await issuedEvents(TOM.id), 1);
  });

  it('refuses a form posted without its CSRF token', async () => {
    const b = new Browser(running.issuer);
    await accountSignIn(b, TOM, clock);
    const confirm = await stepUp(b, await b.get(REQUEST), TOM, clock);
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    assert.equal((await b.post(REQUEST, { token })).status, 403);
    assert.equal((await b.post(REQUEST, { _csrf: 'forged', token })).status, 403);
    assert.equal(await issuedEvents(TOM.id), 0);
    await requestFrom(b, confirm);
  });

  it('a double submit issues one code, the one the page shows', async () => {
    const b = new Browser(running.issuer);
    await accountSignIn(b, TOM, clock);
    const confirm = await stepUp(b, await b.get(REQUEST), TOM, clock);
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    const replies = await Promise.all([1, 2, 3].map(() => b.post(REQUEST, { _csrf: csrfOf(confirm), token })));
    assert.deepEqual(replies.map((r) => r.location).sort(), [REQUEST, REQUEST, SHOWN].sort());
    assert.equal(await issuedEvents(TOM.id), 1);
    const shown = recoveryCodeIn(await b.get(SHOWN));
    assert.equal((await useRecoveryCode(shown)).status, 303, 'the code shown is the one that works');
  });

  it('is only for a user with a method: there is nothing to recover otherwise', async () => {
    const b = new Browser(running.issuer);
    const overview = await accountSignIn(b, DEE, clock);
    assert.doesNotMatch(overview.body, /Request New Code/);
    const page = await stepUp(b, await b.post(REQUEST, { _csrf: csrfOf(overview) }), DEE, clock);
    assert.equal(page.status, 409);
    assert.match(page.body, /A recovery code comes with two-factor authentication/);
    assert.equal((await running.idp.stores.mfaFactors.factorsOf(DEE.id)).recoveryCode, false);
    assert.equal(await issuedEvents(DEE.id), 0);
  });

  it('refuses an account whose MFA the company’s IdP runs (the use case)', async () => {
    const { stores } = running.idp;
    const events = new SecurityEvents({ audit: stores.audit, mail: running.idp.mail, emailFor: securityEmail, directory: stores.directory, clock, logger: pino({ level: 'silent' }), productName: 'Test' });
    // ian@corp.test signs in through corp's IdP, which runs his MFA; even with an app stored, nothing is issued.
    await stores.mfaFactors.saveTotp('usr_ian', { sealedSecret: 'x', createdAt: clock() }, 0);
    const refused = await requestNewRecoveryCode({ mfa: running.idp.mfa, store: stores.mfaFactors, events }, 'usr_ian', { ip: '127.0.0.1', userAgent: 'test' });
    assert.deepEqual(refused, { ok: false, reason: 'idp_managed' });
    assert.equal(await stores.mfaFactors.hasRecoveryCode('usr_ian'), false);
    assert.equal(await issuedEvents('usr_ian'), 0);
  });
}
