import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { openRedis } from '../helpers/redis_access.ts';
import { HANK_SECRET, landOnPage, passwordStep, recoveryCodeIn, totpNow } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type AuthRequest, type oidc } from '../helpers/rp.ts';
import { TwilioStub } from '../helpers/twilio_stub.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';

/** SMS enrollment and challenge through openid-client, with the Twilio stub as the carrier. */
export function smsFlowSuite(backend: () => Backend): void {
  const twilio = new TwilioStub();
  const smtp = new TestSmtpServer();
  let clock: ReturnType<typeof manualClock>;
  let running: RunningIdp;
  let runningOn: Backend;
  let rp: oidc.Configuration;
  const start = async (env: Record<string, string> = {}) => {
    runningOn = backend();
    running = await startIdp(runningOn, { clock, smtpUrl: smtp.url, env: { ...twilio.env, METRICS_TOKEN, ...env } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  };

  before(async () => {
    await twilio.start();
    await smtp.start();
  });
  after(async () => {
    await twilio.stop();
    await smtp.stop();
  });
  beforeEach(() => {
    clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
    twilio.mode = 'ok';
    twilio.sent.length = 0;
    smtp.received.length = 0;
  });
  afterEach(async () => {
    await running.close();
  });

  const tokensFor = async (browser: Browser, request: AuthRequest, page: Page) => {
    const { callback, page: stopped } = await followRedirects(browser, page);
    assert.ok(callback, `expected a code, stopped at ${stopped.status}: ${stopped.body.slice(0, 300)}`);
    return exchangeCode(rp, callback, request);
  };

  /** Sam has only a phone (+1 201 555 0123): password, then "Send Text Message". */
  const samAtCode = async (browser = new Browser(running.issuer)) => {
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid, page } = await passwordStep(browser, request.url, 'sam@summit.test', 'sam-password-12');
    assert.match(page.body, /Send Text Message/);
    assert.match(page.body, /•••• •• 0123/);
    const sent = await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' });
    assert.equal(sent.status, 303, sent.body.slice(0, 300));
    return { browser, uid, request };
  };

  it('enrolls a phone: rules, text message, code, recovery code; amr says sms', async () => {
    await start();
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await passwordStep(browser, request.url, 'fred@summit.test', 'fred-password-1');
    const setup = await browser.get(`/interaction/${uid}/mfa/sms`);
    assert.match(setup.body, /Set Up SMS Verification/);
    assert.match(setup.body, /less secure than an authenticator app/);
    assert.match(setup.body, /autocomplete="tel-country-code"/);
    assert.match(setup.body, /autocomplete="tel-national"/);
    assert.match(setup.body, /<option value="HK"/);
    assert.doesNotMatch(setup.body, /<option value="BR"/, 'only the allowed countries');

    const refused = await browser.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '800 234 5678' });
    assert.equal(refused.status, 400);
    assert.match(refused.body, /Toll-free/);
    assert.match(refused.body, /authenticator app instead/);
    assert.equal(twilio.sent.length, 0);

    const sent = await browser.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '(201) 555-0188' });
    assert.equal(sent.status, 303);
    const message = twilio.sent.at(-1);
    assert.equal(message?.to, '+12015550188');
    assert.match(message?.body ?? '', new RegExp(`^Your sign-in code is \\d{6}\\. It expires in 10 minutes\\.\\n\\n@127\\.0\\.0\\.1:${running.port} #\\d{6}$`));
    const codePage = await browser.get(sent.location!);
    assert.match(codePage.body, /Enter the 6-Digit Verification Code/);
    assert.match(codePage.body, /Resend New Code/);
    assert.match(codePage.body, /•••• •• 0188/);
    assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/verify`, { code: '000000' })).status, 400);

    const confirmed = await browser.post(`/interaction/${uid}/mfa/sms/verify`, { code: twilio.lastCode('+12015550188') });
    assert.equal(confirmed.status, 303);
    const save = await browser.get(confirmed.location!);
    recoveryCodeIn(save);
    const tokens = await tokensFor(browser, request, await browser.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' }));
    assert.deepEqual(tokens.claims()!['amr'], ['pwd', 'sms', 'mfa']);
    assert.deepEqual(await running.idp.stores.mfaFactors.getPhone('usr_fred').then((p) => p?.e164), '+12015550188');
    await running.idp.mail.drain();
    const [enrolled] = smtp.to('fred@summit.test', 'Two-factor authentication is on');
    const text = (enrolled?.raw ?? '').replace(/=\r\n/g, ''); // quoted-printable soft line breaks
    assert.match(text, /A phone number was set up to receive sign-in codes by text message/);
    assert.doesNotMatch(text, /authenticator app/i, 'the email names the method that was set up');
  });

  it('keeps phone numbers out of storage key names', async function () {
    await start();
    if (runningOn.kind !== 'redis') this.skip(); // only Redis has key names to read
    const { prefix, topology } = runningOn;
    // An enrollment code in flight (bound to its number), a login code, and each number's counters and cooldown.
    const fred = new Browser(running.issuer);
    const { uid } = await passwordStep(fred, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    assert.equal((await fred.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '(201) 555-0188' })).status, 303);
    await samAtCode();
    assert.equal(twilio.sent.length, 2);

    const client = await openRedis(topology);
    try {
      const keys = await client.keys(`${prefix}*`);
      assert.ok(keys.some((k) => k.includes(':sms:')), 'the codes are stored');
      assert.ok(keys.some((k) => k.includes('sms_number_h')), 'the per-number counters are stored');
      for (const digits of ['2015550188', '2015550123']) {
        assert.deepEqual(keys.filter((k) => k.includes(digits)), [], `a key name holds ${digits}`);
      }
    } finally {
      await client.close();
    }
  });

  it('logs in with SMS, and counts sends against verifications in /metrics', async () => {
    await start();
    const { browser, uid, request } = await samAtCode();
    const tokens = await tokensFor(browser, request, await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: twilio.lastCode('+12015550123') }));
    assert.deepEqual(tokens.claims()!['amr'], ['pwd', 'sms', 'mfa']);

    const metrics = await browser.get('/metrics');
    assert.equal(metrics.status, 401, 'metrics need the token');
    const res = await fetch(`${running.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    const text = await res.text();
    assert.match(text, /idp_sms_sent_total\{purpose="login",country="US"\} 1/);
    assert.match(text, /idp_sms_verified_total\{purpose="login",country="US"\} 1/);
  });

  it('offers the app and the phone when both are active, and remembers the last choice', async () => {
    await start();
    const browser = new Browser(running.issuer);
    const first = await authorizationRequest(rp, CLIENTS.web);
    const { uid, page } = await passwordStep(browser, first.url, 'hank@summit.test', 'hank-password-1');
    assert.match(page.body, /How Do You Want to Verify Your Identity/);
    assert.match(page.body, /Authenticator App/);
    assert.match(page.body, /Use a Phone Number <span class="muted">•••• •• 3456<\/span>/);
    assert.match(page.body, /value="totp" checked/);
    assert.match(page.body, /Use a recovery code/);
    await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' });
    await tokensFor(browser, first, await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: twilio.lastCode('+447400123456') }));

    const other = new Browser(running.issuer);
    const second = await authorizationRequest(rp, CLIENTS.web);
    const { uid: uid2, page: chooser } = await passwordStep(other, second.url, 'hank@summit.test', 'hank-password-1');
    assert.match(chooser.body, /value="sms" checked/, 'the phone is now the default');
    const app = await other.post(`/interaction/${uid2}/mfa/choose`, { method: 'totp' });
    assert.match(app.location ?? '', /\/mfa\/verify$/);
    const tokens = await tokensFor(other, second, await other.post(`/interaction/${uid2}/mfa/verify`, { code: await totpNow(HANK_SECRET, clock) }));
    assert.deepEqual(tokens.claims()!['amr'], ['pwd', 'otp', 'mfa']);
  });

  it('a resend voids the previous code; codes expire after 10 minutes', async () => {
    await start({ SMS_COOLDOWN_SECONDS: '0' }); // the cooldown has its own test
    const { browser, uid } = await samAtCode();
    const firstCode = twilio.lastCode('+12015550123');
    twilio.sent.length = 0;
    assert.equal((await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' })).status, 303);
    const secondCode = twilio.lastCode('+12015550123');
    if (firstCode !== secondCode) assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: firstCode })).status, 401, 'the old code is void');

    clock.advance(10 * 60 * 1000 + 1000);
    assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: secondCode })).status, 401, 'expired');
  });

  it('a code allows 5 checks, then it is gone', async () => {
    await start();
    const { browser, uid } = await samAtCode();
    const code = twilio.lastCode('+12015550123');
    const wrong = code === '111111' ? '222222' : '111111';
    for (let i = 0; i < 5; i++) assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: wrong })).status, 401);
    assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/code`, { code })).status, 401, 'the right code no longer works');
    assert.equal((await running.idp.stores.mfaLockout.read('usr_sam')).failures, 6, 'SMS failures count toward the account lockout');
  });

  it('parallel submissions of one code: exactly one success', async () => {
    await start();
    const { browser, uid } = await samAtCode();
    const code = twilio.lastCode('+12015550123');
    const results = await Promise.all(Array.from({ length: 10 }, () => browser.post(`/interaction/${uid}/mfa/sms/code`, { code })));
    assert.equal(results.filter((r) => r.status === 303).length, 1);
  });

  it('a code is bound to its purpose and its interaction', async () => {
    await start();
    const a = await samAtCode();
    const codeForA = twilio.lastCode('+12015550123');
    const b = new Browser(running.issuer);
    const { uid: uidB } = await passwordStep(b, (await authorizationRequest(rp, CLIENTS.web)).url, 'sam@summit.test', 'sam-password-12');
    assert.equal((await b.post(`/interaction/${uidB}/mfa/sms/code`, { code: codeForA })).status, 401, 'another interaction');

    // An enrollment code (sent by Fred's setup) is not a login code for the same interaction.
    const fred = new Browser(running.issuer);
    const { uid } = await passwordStep(fred, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    await fred.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '2015550177' });
    const enrollCode = twilio.lastCode('+12015550177');
    assert.equal((await fred.post(`/interaction/${uid}/mfa/sms/code`, { code: enrollCode })).status, 400, 'no login step here');
    assert.equal((await a.browser.post(`/interaction/${a.uid}/mfa/sms/code`, { code: enrollCode })).status, 401);
  });

  it('enforces the cooldown and the send caps, and audits each refusal', async () => {
    await start({ SMS_MAX_PER_ACCOUNT_HOUR: '2' });
    const { browser, uid } = await samAtCode();
    const again = await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' });
    assert.equal(again.status, 429);
    assert.match(again.body, /Wait \d+ seconds/);
    assert.match(again.body, /Use a recovery code/);
    assert.equal(twilio.sent.length, 1);

    // Fred tries numbers one after another: the per-account cap stops the third.
    const fred = new Browser(running.issuer);
    const { uid: f } = await passwordStep(fred, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    for (const n of ['2015550101', '2015550102']) assert.equal((await fred.post(`/interaction/${f}/mfa/sms`, { country: 'US', phone: n })).status, 303);
    const capped = await fred.post(`/interaction/${f}/mfa/sms`, { country: 'US', phone: '2015550103' });
    assert.equal(capped.status, 429);
    assert.match(capped.body, /Too many text messages/);
    assert.match(capped.body, /Set up an authenticator app/);
    const refusals = (await running.idp.stores.audit.forUser('usr_fred', 20)).filter((e) => e.type === 'mfa.sms_refused');
    assert.deepEqual(refusals.map((e) => e.detail?.['reason']), ['limit']);
    assert.equal((await running.idp.stores.audit.forUser('usr_sam', 20)).filter((e) => e.type === 'mfa.sms_refused').length, 1);
  });

  it('a Procore Pay payee admin may use US numbers only', async () => {
    await start();
    const browser = new Browser(running.issuer);
    const { uid } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'paige@acme.test', 'paige-password-1');
    const setup = await browser.get(`/interaction/${uid}/mfa/sms`);
    assert.match(setup.body, /<option value="US"/);
    assert.doesNotMatch(setup.body, /<option value="GB"/);
    const refused = await browser.post(`/interaction/${uid}/mfa/sms`, { country: 'GB', phone: '07400 123456' });
    assert.equal(refused.status, 400);
    assert.match(refused.body, /limited to United States numbers/);
    assert.equal(twilio.sent.length, 0);
    assert.equal((await browser.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '2015550199' })).status, 303);
  });

  it('a gateway that is down gives a clean page, and the sign-in goes on another way', async () => {
    await start();
    twilio.mode = 'error500';
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await passwordStep(browser, request.url, 'hank@summit.test', 'hank-password-1');
    const down = await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' });
    assert.equal(down.status, 200);
    assert.match(down.body, /could not send a text message/);
    assert.doesNotMatch(down.body, /SECRET-DETAIL/);
    assert.match(down.body, /Use your authenticator app/);
    const page = await landOnPage(browser, await browser.get(`/interaction/${uid}/mfa/verify`));
    assert.equal(page.status, 200);
    await tokensFor(browser, request, await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(HANK_SECRET, clock) }));
  });
}
