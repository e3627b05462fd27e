import assert from 'node:assert/strict';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { GatedSmtpServer } from '../helpers/gated_smtp.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { landOnPage, passwordStep, setupKeyIn, totpNow } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type AuthRequest, type oidc } from '../helpers/rp.ts';
import { TwilioStub } from '../helpers/twilio_stub.ts';

const TIMEOUT_SECONDS = 1;
/** What the machine may add to a timeout: a loaded 2-core CI box, a page to render. */
const MARGIN_MS = 1500;

async function timed(call: () => Promise<Page>): Promise<{ page: Page; ms: number }> {
  const started = performance.now();
  const page = await call();
  return { page, ms: performance.now() - started };
}

/** The "Send the text again" form on a Text Message Not Sent page: its action and hidden fields. */
function sendAgainForm(page: Page): { action: string; fields: Record<string, string> } {
  const form = /<form method="post" action="([^"]+)">((?:(?!<\/form>)[\s\S])*)Send the text again/.exec(page.body);
  assert.ok(form?.[1] && form[2] !== undefined, `no "Send the text again" on the page: ${page.body.slice(0, 600)}`);
  const fields: Record<string, string> = {};
  for (const [, name = '', value = ''] of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[name] = value.replace(/&#43;/g, '+');
  return { action: form[1], fields };
}

/**
 * The SMS gateway and the SMTP server down or slow. No request waits on them longer than a bounded
 * time: a text gateway that never answers holds the page SMS_GATEWAY_TIMEOUT_SECONDS at most, and
 * email is queued (notify/), never sent while the request waits. Nothing is lost: the person can
 * send the text again at once when the gateway is back, and the emails go out when SMTP answers.
 * Already covered elsewhere: a gateway answering 5xx (test/e2e/sms_flow.suite.ts: the page, and the
 * app instead), SMTP refusing connections and the outbox's retries (test/e2e/mail_delivery.test.ts).
 */
describe('the SMS gateway and the SMTP server down or slow', function () {
  this.timeout(20_000);
  const twilio = new TwilioStub();
  let clock: ManualClock;
  let running: RunningIdp | undefined;
  let rp: oidc.Configuration;

  before(async () => {
    await twilio.start();
  });
  after(async () => {
    await twilio.stop();
  });
  beforeEach(() => {
    clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
    twilio.mode = 'ok';
    twilio.requests = 0;
    twilio.sent.length = 0;
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const start = async (options: { smtpUrl?: string } = {}): Promise<RunningIdp> => {
    running = await startIdp({ kind: 'memory' }, { clock, ...options, env: { ...twilio.env, SMS_GATEWAY_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
    return running;
  };

  const tokens = async (browser: Browser, request: AuthRequest, page: Page) => {
    const { callback, page: stopped } = await followRedirects(browser, page);
    assert.ok(callback, `expected the app's callback, stopped at ${stopped.status}: ${stopped.body.slice(0, 300)}`);
    return exchangeCode(rp, callback, request);
  };

  it('a text gateway that never answers: the page says so within the timeout, and the text can be sent again at once when it is back', async () => {
    const { issuer } = await start();
    const browser = new Browser(issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await passwordStep(browser, request.url, 'sam@summit.test', 'sam-password-12');

    twilio.mode = 'hang';
    const { page, ms } = await timed(() => browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' }));
    assert.ok(ms < TIMEOUT_SECONDS * 1000 + MARGIN_MS, `the page took ${Math.round(ms)} ms`);
    assert.equal(page.status, 200);
    assert.match(page.body, /Text Message Not Sent/);
    assert.match(page.body, /We could not send a text message right now\. Try again in a moment\./);
    assert.match(page.body, /Use a recovery code/, 'another way in');
    assert.equal(twilio.requests, 1, 'no second request after a timeout: the first may have gone out');

    twilio.mode = 'ok';
    const again = sendAgainForm(page);
    const sent = await browser.post(again.action, again.fields);
    assert.equal(sent.status, 303, `sent again at once, no cooldown: ${sent.body.slice(0, 300)}`);
    const codePage = await landOnPage(browser, sent);
    assert.match(codePage.body, /Enter the 6-Digit Verification Code/i);
    const done = await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: twilio.lastCode('+12015550123') });
    const claims = (await tokens(browser, request, done)).claims();
    assert.equal(claims?.acr, 'urn:idp:acr:mfa');
    assert.ok(Array.isArray(claims?.amr) && claims.amr.includes('sms'));
  });

  it('setting up SMS while the gateway fails: the page keeps the number, and sending again enrolls it', async () => {
    const { issuer } = await start();
    const browser = new Browser(issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await passwordStep(browser, request.url, 'fred@summit.test', 'fred-password-1');

    twilio.mode = 'error500';
    const { page, ms } = await timed(() => browser.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '2015550177' }));
    assert.ok(ms < 2 * TIMEOUT_SECONDS * 1000 + MARGIN_MS, `the page took ${Math.round(ms)} ms`);
    assert.equal(page.status, 200);
    assert.match(page.body, /We could not send a text message right now/);
    assert.match(page.body, /Set up an authenticator app|authenticator app/i, 'the app is offered instead');

    twilio.mode = 'ok';
    const again = sendAgainForm(page);
    assert.deepEqual(again.fields, { country: 'US', phone: '2015550177' });
    const sent = await browser.post(again.action, again.fields);
    assert.equal(sent.status, 303, sent.body.slice(0, 300));
    const confirmed = await browser.post(`/interaction/${uid}/mfa/sms/verify`, { code: twilio.lastCode('+12015550177') });
    assert.equal(confirmed.status, 303, confirmed.body.slice(0, 300));
    const saved = await browser.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' });
    assert.equal((await tokens(browser, request, saved)).claims()?.acr, 'urn:idp:acr:mfa');
  });

  it('an SMTP server that takes the message and does not answer: the enrollment does not wait for it, and the emails go out once it does', async () => {
    const smtp = new GatedSmtpServer();
    await smtp.start();
    try {
      const { issuer, idp } = await start({ smtpUrl: smtp.url });
      const browser = new Browser(issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { uid } = await passwordStep(browser, request.url, 'fred@summit.test', 'fred-password-1');
      const setup = await browser.get(`/interaction/${uid}/mfa/totp`);
      const secret = setupKeyIn(setup);
      const { page: committed, ms } = await timed(async () => browser.post(`/interaction/${uid}/mfa/totp`, { code: await totpNow(secret, clock) }));
      assert.equal(committed.status, 303);
      await smtp.waitForHeld(); // the first security email is with the server, unanswered
      assert.ok(ms < 1000, `the enrollment took ${Math.round(ms)} ms`);
      const saved = await timed(() => browser.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' }));
      assert.ok(saved.ms < 1000, 'nor does the next page');
      assert.equal((await tokens(browser, request, saved.page)).claims()?.acr, 'urn:idp:acr:mfa');
      assert.equal(smtp.received.length, 0, 'nothing delivered yet');

      smtp.open();
      await idp.mail.drain();
      assert.deepEqual(smtp.received.map((m) => m.subject).sort(), ['Groundwork ID: Two-factor authentication is on', 'Groundwork ID: You have a new recovery code']);
    } finally {
      await running?.close();
      running = undefined;
      await smtp.stop();
    }
  });
});
