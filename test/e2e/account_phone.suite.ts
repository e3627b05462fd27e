import assert from 'node:assert/strict';
import { pino } from 'pino';
import { SecurityEvents } from '../../audit/security_events.ts';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { securityEmail } from '../../mfa/security_emails.ts';
import { signInsOn } from '../../provider/sign_ins.ts';
import { PhoneSelfService } from '../../self_service/phone.ts';
import { accountSignIn, csrfOf, SECURITY, stepUp } from '../helpers/account.ts';
import { ADMIN_SEED, DEE, follow, noticeIn, type Person } from '../helpers/admin.ts';
import { startAuthorization, WEB } from '../helpers/admin_api.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { openRedis } from '../helpers/redis_access.ts';
import { textOf } from '../helpers/mail_text.ts';
import { recoveryCodeIn, uidIn } from '../helpers/mfa.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';
import { TwilioStub } from '../helpers/twilio_stub.ts';

/** A member of delta (MFA not required) whose one factor is a phone (test/fixtures/admin_seed.json). */
const PHIL: Person = { id: 'usr_phil', email: 'phil@delta.test', password: 'phil-password-1' };
const PHIL_PHONE = '+12015550142';
const NEW_PHONE = '+12015550177';
const PHONE = `${SECURITY}/phone`;
const MINUTE = 60_000;

/**
 * Password & Security › Add Phone Number / Change Phone Number, through the forms, with the Twilio
 * stub as the carrier and a real SMTP server for the emails.
 */
export function accountPhoneSuite(backend: () => Backend): void {
  const twilio = new TwilioStub();
  let smtp: TestSmtpServer;
  let clock: ManualClock;
  let running: RunningIdp;
  let runningOn: Backend;

  /** Generous caps except where a test sets its own: the limits have their own test. */
  const start = async (env: Record<string, string> = {}): Promise<void> => {
    runningOn = backend();
    running = await startIdp(runningOn, {
      clock,
      smtpUrl: smtp.url,
      env: { SEED_FILE: ADMIN_SEED, ...twilio.env, SMS_COOLDOWN_SECONDS: '0', SMS_MAX_PER_ACCOUNT_HOUR: '20', SMS_MAX_PER_IP_HOUR: '50', ...env },
    });
  };

  before(async () => {
    await twilio.start();
  });
  after(async () => {
    await twilio.stop();
  });
  beforeEach(async () => {
    smtp = new TestSmtpServer();
    await smtp.start();
    clock = manualClock();
    twilio.mode = 'ok';
    twilio.sent.length = 0;
  });
  afterEach(async () => {
    await running.close();
    await smtp.stop();
  });

  const sentTo = (number: string): number => twilio.sent.filter((m) => m.to === number).length;

  /** On Redis, no key name holds a phone number (the codes' bindings and the counters use a keyed hash). */
  async function assertNoNumberInKeyNames(expect?: RegExp): Promise<void> {
    if (runningOn.kind !== 'redis') return;
    const client = await openRedis(runningOn.topology);
    try {
      const keys = await client.keys(`${runningOn.prefix}*`);
      if (expect) assert.ok(keys.some((k) => expect.test(k)), `a key matching ${expect}`);
      for (const digits of ['2015550142', '2015550177']) assert.deepEqual(keys.filter((k) => k.includes(digits)), [], `a key name holds ${digits}`);
    } finally {
      await client.close();
    }
  }

  /** Signs in to Password & Security with the phone: password, "Send Text Message", the code. */
  async function phoneSignIn(browser: Browser, who: Person, phone: string): Promise<Page> {
    const landing = await accountSignIn(browser, who, clock);
    assert.match(landing.body, /Send Text Message/);
    const uid = uidIn(landing);
    const codePage = await follow(browser, await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' }));
    assert.match(codePage.body, /Enter the 6-Digit Verification Code/);
    const page = await follow(browser, await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: twilio.lastCode(phone) }));
    assert.match(page.body, /<h1>Password &amp; Security<\/h1>/, page.body.slice(0, 300));
    return page;
  }

  /** Phil, signed in and past the password step-up, on "Confirm Your Current Phone Number". */
  async function philAtCurrentPhone(browser = new Browser(running.issuer)): Promise<{ browser: Browser; page: Page }> {
    await phoneSignIn(browser, PHIL, PHIL_PHONE);
    const page = await stepUp(browser, await browser.get(PHONE), PHIL, clock);
    assert.match(page.body, /Confirm Your Current Phone Number/);
    return { browser, page };
  }

  /** From "Confirm Your Current Phone Number" to the new number's setup page. */
  async function proveCurrentPhone(browser: Browser, page: Page): Promise<Page> {
    const sent = await browser.post(`${PHONE}/current/send`, { _csrf: csrfOf(page) });
    assert.equal(sent.status, 303, sent.body.slice(0, 300));
    const codePage = await follow(browser, sent);
    assert.match(codePage.body, /Enter the 6-Digit Verification Code/);
    const proved = await browser.post(`${PHONE}/current`, { _csrf: csrfOf(codePage), code: twilio.lastCode(PHIL_PHONE) });
    assert.equal(proved.location, `${PHONE}/mfa/sms`);
    const setup = await follow(browser, proved);
    assert.match(setup.body, /Set Up SMS Verification/);
    return setup;
  }

  it('adds a phone as at enrollment: the code, the recovery code, SMS preferred, the email and event; the next login offers SMS', async () => {
    await start();
    const b = new Browser(running.issuer);
    await accountSignIn(b, DEE, clock);
    // Dee has no phone: no code to a current one, straight to the setup page (after the password).
    const setup = await stepUp(b, await b.get(PHONE), DEE, clock);
    assert.match(setup.body, /Set Up SMS Verification/);
    assert.match(setup.body, /action="\/account\/security\/phone\/mfa\/sms"/);
    assert.match(setup.body, /autocomplete="tel-national"/);
    assert.equal(twilio.sent.length, 0);

    const sent = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrfOf(setup), country: 'US', phone: '(201) 555-0188' });
    assert.equal(sent.location, `${PHONE}/mfa/sms/verify`);
    const codePage = await b.get(sent.location);
    assert.match(codePage.body, /•••• •• 0188/);
    assert.match(codePage.body, /action="\/account\/security\/phone\/mfa\/sms\/resend"/);
    const wrong = await b.post(`${PHONE}/mfa/sms/verify`, { _csrf: csrfOf(codePage), code: twilio.lastCode('+12015550188') === '000000' ? '111111' : '000000' });
    assert.equal(wrong.status, 400);
    assert.equal(await running.idp.stores.mfaFactors.getPhone(DEE.id), undefined);

    const done = await b.post(`${PHONE}/mfa/sms/verify`, { _csrf: csrfOf(codePage), code: twilio.lastCode('+12015550188') });
    assert.equal(done.location, `${SECURITY}/mfa/recovery-code`, 'the first factor: its recovery code is shown');
    const save = await b.get(done.location);
    recoveryCodeIn(save);
    const overview = await follow(b, await b.post(`${SECURITY}/mfa/recovery-code`, { _csrf: csrfOf(save), saved: 'yes' }));
    assert.match(overview.body, /Change Phone Number/);
    assert.match(overview.body, /\+1 •••• ••0188/);

    const factors = await running.idp.stores.mfaFactors.factorsOf(DEE.id);
    assert.equal(factors.phone?.e164, '+12015550188');
    assert.equal(factors.preferred, 'sms');
    assert.equal(factors.recoveryCode, true);
    const events = await running.idp.stores.audit.forUser(DEE.id, 10);
    assert.deepEqual(events.slice(0, 2).map((e) => [e.type, e.detail?.['factor']]).sort(), [['mfa.enrolled', 'sms'], ['mfa.recovery_code_issued', undefined]]);
    await running.idp.mail.drain();
    const [enrolled] = smtp.to(DEE.email, 'Two-factor authentication is on');
    assert.ok(enrolled, 'the enrollment email');
    assert.match(textOf(enrolled.raw), /A phone number was set up to receive sign-in codes/);
    assert.doesNotMatch(textOf(enrolled.raw), /0188/, 'never the number');
    assert.equal(smtp.to(DEE.email, 'You have a new recovery code').length, 1);

    const next = await accountSignIn(new Browser(running.issuer), DEE, clock);
    assert.match(next.body, /Send Text Message/, 'the next login offers SMS');
    assert.match(next.body, /•••• •• 0188/);
  });

  it('changes the phone after a code from the current one: the new number is verified, the old one gets no more codes, the other session ends', async () => {
    await start();
    const elsewhere = new Browser(running.issuer);
    await phoneSignIn(elsewhere, PHIL, PHIL_PHONE);
    const { browser: b, page } = await philAtCurrentPhone();
    assert.match(page.body, /\+1 •••• ••0142/);
    const beforeSend = twilio.sent.length;
    assert.equal((await b.get(PHONE)).status, 200);
    assert.equal(twilio.sent.length, beforeSend, 'a GET sends nothing: only the POST');

    const setup = await proveCurrentPhone(b, await b.get(PHONE));
    assert.match(twilio.sent.at(-1)?.body ?? '', /^Your sign-in code is \d{6}\./);
    const sent = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrfOf(setup), country: 'US', phone: '201-555-0177' });
    assert.equal(sent.location, `${PHONE}/mfa/sms/verify`);
    assert.equal(sentTo(NEW_PHONE), 1, 'the new number gets the enrollment code');
    const codePage = await b.get(sent.location);
    const done = await b.post(`${PHONE}/mfa/sms/verify`, { _csrf: csrfOf(codePage), code: twilio.lastCode(NEW_PHONE) });
    assert.equal(done.location, SECURITY, 'not a first factor: no recovery code');
    const overview = await b.get(SECURITY);
    assert.match(noticeIn(overview) ?? '', /Your phone number was changed: sign-in codes now go to \+1 •••• ••0177\. Your other sessions were signed out\./);
    assert.match(overview.body, /\+1 •••• ••0177/);

    const factors = await running.idp.stores.mfaFactors.factorsOf(PHIL.id);
    assert.equal(factors.phone?.e164, NEW_PHONE);
    assert.equal(factors.recoveryCode, false, 'a change issues no recovery code');
    const events = (await running.idp.stores.audit.forUser(PHIL.id, 20)).map((e) => e.type);
    assert.equal(events[0], 'mfa.phone_changed');
    assert.ok(!events.includes('mfa.enrolled') && !events.includes('mfa.authenticator_replaced'));
    await running.idp.mail.drain();
    const [changed] = smtp.to(PHIL.email, 'Your two-factor phone number was changed');
    assert.ok(changed, 'the change email');
    const text = textOf(changed.raw);
    assert.match(text, /The previous number no longer receives codes/);
    assert.doesNotMatch(text, /0142|0177|555/, 'never a number');

    // The other browser's session ended: it must log in again. This one's stays.
    const other = await startAuthorization(running.issuer, WEB, { scope: 'openid' });
    const otherPage = await follow(elsewhere, await elsewhere.get(other.url.href));
    assert.match(otherPage.body, /name="email"/, 'the login screen');
    const here = await startAuthorization(running.issuer, WEB, { scope: 'openid' });
    const kept = await followRedirects(b, await b.get(here.url.href));
    assert.ok(kept.callback, `the session the change was made in is kept: ${kept.page.status} ${kept.page.location} ${kept.page.body.slice(0, 2000)}`);

    // The next sign-in's code goes to the new number only.
    const oldCount = sentTo(PHIL_PHONE);
    const next = await accountSignIn(new Browser(running.issuer), PHIL, clock);
    assert.match(next.body, /•••• •• 0177/);
    const nextBrowser = new Browser(running.issuer);
    const landing = await accountSignIn(nextBrowser, PHIL, clock);
    await nextBrowser.post(`/interaction/${uidIn(landing)}/mfa/choose`, { method: 'sms' });
    assert.equal(twilio.sent.at(-1)?.to, NEW_PHONE);
    assert.equal(sentTo(PHIL_PHONE), oldCount, 'the old number gets no more codes');

    await assertNoNumberInKeyNames();
  });

  it('refuses a change without the current phone’s code: none, a wrong one, one sent for another purpose', async () => {
    await start();
    const { browser: b, page } = await philAtCurrentPhone();
    const loginCode = twilio.lastCode(PHIL_PHONE);
    const csrf = csrfOf(page);
    const sends = twilio.sent.length;

    // Straight to the new number: refused, nothing sent or stored.
    const direct = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrf, country: 'US', phone: '2015550177' });
    assert.equal(direct.status, 403);
    assert.match(direct.body, /Enter the code we sent to your current phone/);
    assert.equal((await b.post(`${PHONE}/mfa/sms/verify`, { _csrf: csrf, code: '123456' })).status, 403);
    assert.equal((await b.get(`${PHONE}/mfa/sms`)).location, PHONE, 'the setup page sends back to the start');
    assert.equal(twilio.sent.length, sends);

    assert.equal((await b.post(`${PHONE}/current/send`, { _csrf: csrf })).status, 303);
    const code = twilio.lastCode(PHIL_PHONE);
    await assertNoNumberInKeyNames(/:phone_change:account-phone:/);
    const wrong = code === '111111' ? '222222' : '111111';
    const refusals: [string, string, RegExp][] = [
      ['a wrong code', wrong, /That code is not right or has expired/],
      ['no code', '', /Enter the 6-digit code from the text message/],
      ['the sign-in’s code (purpose login)', loginCode, /That code is not right or has expired/],
    ];
    for (const [what, attempt, message] of refusals) {
      if (attempt === code) continue; // one in a million: the login code drew the same digits
      const refused = await b.post(`${PHONE}/current`, { _csrf: csrf, code: attempt });
      assert.equal(refused.status, 400, what);
      assert.match(refused.body, message, what);
      assert.equal((await b.post(`${PHONE}/mfa/sms`, { _csrf: csrf, country: 'US', phone: '2015550177' })).status, 403, `still refused after ${what}`);
    }
    assert.equal(sentTo(NEW_PHONE), 0);
    assert.equal((await running.idp.stores.mfaFactors.getPhone(PHIL.id))?.e164, PHIL_PHONE);
    const failures = (await running.idp.stores.audit.forUser(PHIL.id, 20)).filter((e) => e.type === 'mfa.challenge_failed' && e.detail?.['purpose'] === 'phone_change');
    assert.ok(failures.length >= 1, 'failed codes are audited');

    // The right code still works after those failures.
    const proved = await b.post(`${PHONE}/current`, { _csrf: csrf, code });
    assert.equal(proved.location, `${PHONE}/mfa/sms`);
  });

  it('applies the number rules of enrollment: number type, country, and the Procore Pay rules', async () => {
    await start();
    const b = new Browser(running.issuer);
    await accountSignIn(b, DEE, clock);
    const setup = await stepUp(b, await b.get(PHONE), DEE, clock);
    assert.doesNotMatch(setup.body, /<option value="BR"/, 'only the allowed countries');
    const csrf = csrfOf(setup);
    const tollFree = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrf, country: 'US', phone: '800 234 5678' });
    assert.equal(tollFree.status, 400);
    assert.match(tollFree.body, /Toll-free/);
    assert.match(tollFree.body, /authenticator app instead/);
    const country = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrf, country: 'BR', phone: '+55 11 91234-5678' });
    assert.equal(country.status, 400);
    assert.match(country.body, /not available for numbers in that country/);

    // A Procore Pay payee admin: US numbers only.
    const directory = running.idp.stores.directory;
    const [membership] = await directory.membershipsOfUser(DEE.id);
    assert.ok(membership);
    await directory.saveMembership({ ...membership, payRoles: ['payee_admin'] });
    const payee = await follow(b, await b.get(PHONE));
    assert.match(payee.body, /<option value="US"/);
    assert.doesNotMatch(payee.body, /<option value="GB"/);
    const abroad = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrf, country: 'GB', phone: '07400 123456' });
    assert.equal(abroad.status, 400);
    assert.match(abroad.body, /limited to United States numbers/);

    // A payor may not use SMS at all: refused at the start, and a direct POST too.
    await directory.saveMembership({ ...membership, payRoles: ['payor'] });
    const payor = await b.get(PHONE);
    assert.equal(payor.status, 403);
    assert.match(payor.body, /Procore Pay payors must use an authenticator app/);
    assert.match(payor.body, /Set up an authenticator app/);
    const posted = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrf, country: 'US', phone: '2015550199' });
    assert.equal(posted.status, 403);
    assert.equal(twilio.sent.length, 0, 'no text went out');
  });

  it('applies the SMS cooldown to the current phone: the sign-in’s text went to it a moment ago', async () => {
    await start({ SMS_COOLDOWN_SECONDS: '30' });
    const { browser: b, page } = await philAtCurrentPhone();
    const cooling = await b.post(`${PHONE}/current/send`, { _csrf: csrfOf(page) });
    assert.equal(cooling.status, 429);
    assert.match(cooling.body, /Wait \d+ seconds/);
    assert.ok(Number(cooling.headers.get('retry-after')) > 0);
    assert.equal(sentTo(PHIL_PHONE), 1, 'only the sign-in’s text');
    const refusals = (await running.idp.stores.audit.forUser(PHIL.id, 30)).filter((e) => e.type === 'mfa.sms_refused').map((e) => e.detail?.['reason']);
    assert.deepEqual(refusals, ['cooldown']);
  });

  it('applies the per-account send cap to the new numbers, and audits the refusal', async () => {
    await start({ SMS_MAX_PER_ACCOUNT_HOUR: '4' });
    const { browser: b, page } = await philAtCurrentPhone();
    const setup = await proveCurrentPhone(b, page);
    // The sign-in's and the current phone's texts, then two new numbers: the cap of four. The next is refused.
    for (const n of ['2015550101', '2015550102']) assert.equal((await b.post(`${PHONE}/mfa/sms`, { _csrf: csrfOf(setup), country: 'US', phone: n })).status, 303);
    const capped = await b.post(`${PHONE}/mfa/sms`, { _csrf: csrfOf(setup), country: 'US', phone: '2015550103' });
    assert.equal(capped.status, 429);
    assert.match(capped.body, /Too many text messages/);
    assert.match(capped.body, /Set up an authenticator app/);
    assert.equal(sentTo('+12015550103'), 0);
    const refusals = (await running.idp.stores.audit.forUser(PHIL.id, 30)).filter((e) => e.type === 'mfa.sms_refused').map((e) => e.detail?.['reason']);
    assert.deepEqual(refusals, ['limit']);
  });

  it('asks for the password first, and for the phone again when the last MFA is older than 15 minutes; a direct POST changes nothing', async () => {
    await start();
    const b = new Browser(running.issuer);
    const overview = await phoneSignIn(b, PHIL, PHIL_PHONE);
    const csrf = csrfOf(overview);
    const sends = twilio.sent.length;
    for (const path of ['current/send', 'current', 'mfa/sms', 'mfa/sms/verify', 'mfa/sms/resend']) {
      const posted = await b.post(`${PHONE}/${path}`, { _csrf: csrf, code: '123456', country: 'US', phone: '2015550177' });
      assert.equal(posted.status, 303, path);
      assert.match(posted.location ?? '', /^\/account\/security\/verify\?next=%2Faccount%2Fsecurity%2Fphone$/, path);
    }
    assert.equal(twilio.sent.length, sends, 'nothing was sent');

    let page = await stepUp(b, await b.get(PHONE), PHIL, clock);
    assert.match(page.body, /Confirm Your Current Phone Number/, 'the sign-in’s own MFA is recent: the password was enough');
    const setup = await proveCurrentPhone(b, page);
    await b.post(`${PHONE}/mfa/sms`, { _csrf: csrfOf(setup), country: 'US', phone: '2015550177' });
    const newCode = twilio.lastCode(NEW_PHONE);

    clock.advance(16 * MINUTE);
    const stale = await b.post(`${PHONE}/mfa/sms/verify`, { _csrf: csrf, code: newCode });
    assert.equal(stale.status, 303);
    assert.match(stale.location ?? '', /^\/account\/security\/verify/);
    assert.equal((await running.idp.stores.mfaFactors.getPhone(PHIL.id))?.e164, PHIL_PHONE, 'nothing changed');

    // The password, then the phone: the step-up of a stale MFA.
    page = await follow(b, stale);
    assert.match(page.body, /Confirm Your Password/);
    page = await follow(b, await b.post(`${SECURITY}/verify/password`, { _csrf: csrf, next: PHONE, password: PHIL.password }));
    assert.match(page.body, /How Do You Want to Verify Your Identity/);
    page = await follow(b, await b.post(`${SECURITY}/verify/mfa/choose`, { _csrf: csrf, method: 'sms' }));
    assert.match(page.body, /Enter the 6-Digit Verification Code/);
    page = await follow(b, await b.post(`${SECURITY}/verify/mfa/sms/code`, { _csrf: csrf, code: twilio.lastCode(PHIL_PHONE) }));
    assert.match(page.body, /Confirm Your Current Phone Number/, 'back to the start of the flow: the current phone again');
  });

  it('refuses a form posted without its CSRF token', async () => {
    await start();
    const { browser: b, page } = await philAtCurrentPhone();
    const sends = twilio.sent.length;
    assert.equal((await b.post(`${PHONE}/current/send`, {})).status, 403);
    assert.equal((await b.post(`${PHONE}/current/send`, { _csrf: 'forged' })).status, 403);
    assert.equal(twilio.sent.length, sends);
    const setup = await proveCurrentPhone(b, page);
    assert.equal((await b.post(`${PHONE}/mfa/sms`, { country: 'US', phone: '2015550177' })).status, 403);
    assert.equal(sentTo(NEW_PHONE), 0);
    await b.post(`${PHONE}/mfa/sms`, { _csrf: csrfOf(setup), country: 'US', phone: '2015550177' });
    assert.equal((await b.post(`${PHONE}/mfa/sms/verify`, { code: twilio.lastCode(NEW_PHONE) })).status, 403);
    assert.equal((await running.idp.stores.mfaFactors.getPhone(PHIL.id))?.e164, PHIL_PHONE);
  });

  it('stores nothing when the account’s factors changed since the flow began (compare-and-set)', async () => {
    await start();
    const { browser: b, page } = await philAtCurrentPhone();
    const setup = await proveCurrentPhone(b, page);
    await b.post(`${PHONE}/mfa/sms`, { _csrf: csrfOf(setup), country: 'US', phone: '2015550177' });
    // An admin resets Phil's MFA meanwhile (the account site's session is left alone here).
    await running.idp.mfa.resetAllFactors(PHIL.id);
    const lost = await b.post(`${PHONE}/mfa/sms/verify`, { _csrf: csrfOf(setup), code: twilio.lastCode(NEW_PHONE) });
    assert.equal(lost.status, 409);
    assert.match(lost.body, /Nothing Was Changed/);
    assert.equal(await running.idp.stores.mfaFactors.getPhone(PHIL.id), undefined);
    assert.ok(!(await running.idp.stores.audit.forUser(PHIL.id, 20)).some((e) => e.type === 'mfa.phone_changed'));
  });

  it('refuses accounts whose MFA the company’s IdP runs, in the use case and through the forms', async () => {
    await start();
    const { stores } = running.idp;
    const events = new SecurityEvents({ audit: stores.audit, mail: running.idp.mail, emailFor: securityEmail, directory: stores.directory, clock, logger: pino({ level: 'silent' }), productName: 'Test' });
    const service = new PhoneSelfService({ directory: stores.directory, mfa: running.idp.mfa, store: stores.mfaFactors, flow: stores.flow, events, signIns: signInsOn(() => running.idp.app, stores.oidcAccounts, 86_400) });
    // ian@corp.test signs in through corp's IdP, which runs his MFA.
    assert.deepEqual(await service.begin('usr_ian', 'flow-of-ian'), { ok: false, reason: 'idp_managed' });
    assert.deepEqual(await service.openNewNumber('usr_ian', 'flow-of-ian', { ip: '127.0.0.1', userAgent: 'test' }), { ok: false, reason: 'no_flow' });

    // Phil's company login becomes corp's SSO with `mfa: "idp"` while he is on the page: the flow refuses him.
    const { browser: b, page } = await philAtCurrentPhone();
    const corp = await stores.directory.findCompany('corp');
    assert.ok(corp);
    await stores.directory.saveCompany({ ...corp, emailDomains: [...corp.emailDomains, 'delta.test'] });
    const [delta] = await stores.directory.membershipsOfUser(PHIL.id);
    assert.ok(delta);
    await stores.directory.saveMembership({ ...delta, companyId: 'corp' });
    const refused = await b.get(PHONE);
    assert.equal(refused.status, 403);
    assert.match(refused.body, /managed by your company&#39;s identity provider/);
    const sends = twilio.sent.length;
    assert.equal((await b.post(`${PHONE}/current/send`, { _csrf: csrfOf(page) })).status, 403);
    assert.equal(twilio.sent.length, sends);
    const overview = await b.get(SECURITY);
    assert.doesNotMatch(overview.body, /Change Phone Number/);
  });
}
