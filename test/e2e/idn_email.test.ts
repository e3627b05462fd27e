import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { ACR } from '../../mfa/assurance.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects, loginToCallback, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, landOnPage, passwordStep } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, oidc, relyingParty } from '../helpers/rp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

/**
 * Accounts with internationalized addresses (RFC 6531) log in however the address is typed, on
 * each storage backend, since the directory index and the login throttle key on the address.
 * Fixture users: usr_zoe "Zoë.Ortiz@Kestrel.example", usr_jose "josé@bücher.example" (Acme, no MFA).
 */
function idnEmailSuite(backend: () => Backend): void {
  const smtp = new TestSmtpServer();
  const clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  let running: RunningIdp;
  let rp: oidc.Configuration;

  before(() => smtp.start());
  after(() => smtp.stop());
  beforeEach(async () => {
    smtp.received.length = 0;
    running = await startIdp(backend(), { clock, smtpUrl: smtp.url, env: { LOGIN_ACCOUNT_MAX_FAILURES: '3' } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  afterEach(async () => {
    await running.close();
  });

  it('logs in with the address typed in another case and in NFD; the claims keep the registered spelling', async () => {
    const typed = 'ZOË.ORTIZ@kestrel.EXAMPLE'.normalize('NFD');
    assert.notEqual(typed, typed.normalize('NFC'), 'the test types decomposed characters');
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const tokens = await exchangeCode(rp, await loginToCallback(browser, request.url, typed, 'zoe-password-12'), request);
    assert.equal(tokens.claims()?.sub, 'usr_zoe');
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, 'usr_zoe');
    assert.equal(userinfo.email, 'Zoë.Ortiz@Kestrel.example');
  });

  it('finds the same account by the Unicode and the A-label form of its domain', async () => {
    for (const typed of ['josé@bücher.example', 'JOSÉ@xn--bcher-kva.example', 'jose\u0301@BU\u0308CHER.EXAMPLE']) {
      const browser = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const tokens = await exchangeCode(rp, await loginToCallback(browser, request.url, typed, 'jose-password-1'), request);
      assert.equal(tokens.claims()?.sub, 'usr_jose', typed);
    }
  });

  it('counts failed passwords per account, whichever spelling was typed', async () => {
    for (const typed of ['josé@bücher.example', 'JOSÉ@xn--bcher-kva.example', 'jose\u0301@bücher.example']) {
      const browser = new Browser(running.issuer);
      const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
      assert.equal((await submitCredentials(browser, uid, typed, 'wrong password')).status, 401);
    }
    const browser = new Browser(running.issuer);
    const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
    assert.equal((await submitCredentials(browser, uid, 'JOSÉ@BÜCHER.example', 'jose-password-1')).status, 429, 'the three spellings were one account');
  });

  it('still refuses what is not an address at the email step', async () => {
    const browser = new Browser(running.issuer);
    const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
    for (const email of ['josé bücher.example', 'josé@xn--a.example', 'jo\u202ese@bücher.example', `${'é'.repeat(33)}@bücher.example`]) {
      const page = await browser.post(`/interaction/${uid}/email`, { email });
      assert.equal(page.status, 400, email);
      assert.match(page.body, /Enter a valid email address/);
    }
  });

  it('sends the security email to the UTF-8 address with SMTPUTF8', async () => {
    const browser = new Browser(running.issuer);
    const stepUp = await authorizationRequest(rp, CLIENTS.web, { acr_values: ACR.multiFactor });
    const { uid, page } = await passwordStep(browser, stepUp.url, 'JOSÉ@XN--BCHER-KVA.EXAMPLE', 'jose-password-1');
    assert.match(page.body, /Two-Factor Authentication Required/);
    const { resume } = await enrollTotp(browser, uid, clock);
    const { callback } = await followRedirects(browser, await landOnPage(browser, resume));
    assert.ok(callback);
    assert.equal((await exchangeCode(rp, callback, stepUp)).claims()?.['acr'], ACR.multiFactor);

    await running.idp.mail.drain();
    const [mail] = smtp.to('josé@bücher.example', 'Two-factor authentication is on');
    assert.ok(mail, `received: ${JSON.stringify(smtp.received.map((m) => [m.to, m.subject]))}`);
    assert.equal(mail.smtpUtf8, true);
    assert.ok(smtp.commands.includes('RCPT TO:<josé@bücher.example>'), 'the UTF-8 address went over the wire');
  });
}

onEachBackend('internationalized email addresses', idnEmailSuite);
