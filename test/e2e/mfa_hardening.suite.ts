import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, ERIN_SECRET, HANK_SECRET, landOnPage, passwordStep, setupKeyIn, totpNow, uidIn } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type oidc } from '../helpers/rp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

/**
 * Defects found by the adversarial review (issue 7) in the MFA flow: stale enrollment screens,
 * Procore Pay rules at the challenge, the lockout after a session rotation, skipping after a
 * recovery or a new password login, malformed acr requests and the consent screen's account.
 */
export function mfaHardeningSuite(backend: () => Backend): void {
  const smtp = new TestSmtpServer();
  let clock: ReturnType<typeof manualClock>;
  let running: RunningIdp;
  let rp: oidc.Configuration;

  before(async () => {
    await smtp.start();
  });
  after(async () => {
    await smtp.stop();
  });
  beforeEach(async () => {
    smtp.received.length = 0;
    clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
    running = await startIdp(backend(), { clock, smtpUrl: smtp.url, env: { MFA_MAX_FAILURES: '3' } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  afterEach(async () => {
    await running.close();
  });

  const factors = () => running.idp.stores.mfaFactors;
  const directory = () => running.idp.stores.directory;

  describe('a stale enrollment screen', () => {
    it('cannot replace the factor the owner enrolled meanwhile (the reported sequence)', async () => {
      const attacker = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { uid, page } = await passwordStep(attacker, request.url, 'fred@summit.test', 'fred-password-1');
      assert.match(page.body, /Two-Factor Authentication Required/);
      const attackerSecret = setupKeyIn(await attacker.get(`/interaction/${uid}/mfa/totp`));

      // Meanwhile the owner enrolls in another browser.
      const owner = new Browser(running.issuer);
      const ownerStep = await passwordStep(owner, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      const { secret: ownerSecret } = await enrollTotp(owner, ownerStep.uid, clock);
      await running.idp.mail.drain(); // the owner's emails are out before the slate is wiped
      smtp.received.length = 0;

      const setupAgain = await attacker.get(`/interaction/${uid}/mfa/totp`);
      assert.equal(setupAgain.status, 409, 'no new secret is shown');
      assert.match(setupAgain.body, /Already Set Up/);
      const commit = await attacker.post(`/interaction/${uid}/mfa/totp`, { code: await totpNow(attackerSecret, clock) });
      assert.equal(commit.status, 409);
      const save = await attacker.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' });
      assert.equal(save.status, 400, 'no recovery code to confirm, so no MFA');

      // Continue leads to the challenge of the owner's factor; no code without it.
      const resumed = await followRedirects(attacker, await attacker.post(`/interaction/${uid}/mfa/resume`, {}));
      assert.equal(resumed.callback, undefined);
      assert.match(resumed.page.body, /Enter Your 6-digit Verification Code/);

      clock.advance(30_000);
      const owners = new Browser(running.issuer);
      const challenge = await passwordStep(owners, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      const verified = await owners.post(`/interaction/${challenge.uid}/mfa/verify`, { code: await totpNow(ownerSecret, clock) });
      assert.equal(verified.status, 303, "the owner's app still works");
      await running.idp.mail.drain();
      assert.equal(smtp.to('fred@summit.test', 'changed').length, 0, 'no "authenticator replaced" email');
    });

    it('after a recovery code, only the browser that used it may enroll (password-only sign-ins may not)', async () => {
      const owner = new Browser(running.issuer);
      const ownerStep = await passwordStep(owner, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      const { recoveryCode } = await enrollTotp(owner, ownerStep.uid, clock);
      clock.advance(30_000);

      // The attacker, with the password only, waits at the challenge; the owner uses the recovery code elsewhere.
      const attacker = new Browser(running.issuer);
      const stale = await passwordStep(attacker, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      const victim = new Browser(running.issuer);
      const recovering = await passwordStep(victim, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      assert.equal((await victim.post(`/interaction/${recovering.uid}/mfa/recovery`, { recovery_code: recoveryCode })).status, 303);

      // The stale tab, resumed, and a brand-new sign-in: neither may set up a factor.
      const resumed = await landOnPage(attacker, await attacker.post(`/interaction/${stale.uid}/mfa/resume`, {}));
      const fresh = new Browser(running.issuer);
      const freshStep = await passwordStep(fresh, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      for (const [browser, uid] of [[attacker, uidIn(resumed)], [fresh, freshStep.uid]] as const) {
        assert.equal((await browser.get(`/interaction/${uid}/mfa/totp`)).status, 403);
        assert.equal((await browser.post(`/interaction/${uid}/mfa/totp`, { code: '123456' })).status, 403);
        assert.equal((await browser.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '2015550199' })).status, 403);
      }
      assert.equal((await factors().factorsOf('usr_fred')).totp, false);

      // The owner's browser can, in the same sign-in or after starting again.
      const restart = await landOnPage(victim, await victim.get((await authorizationRequest(rp, CLIENTS.web)).url.href));
      const { resume } = await enrollTotp(victim, uidIn(restart), clock);
      assert.ok((await followRedirects(victim, resume)).callback);
    });

    it('two enrollments of one account racing: exactly one wins', async () => {
      const browsers = [new Browser(running.issuer), new Browser(running.issuer), new Browser(running.issuer)];
      const steps = await Promise.all(browsers.map(async (b) => passwordStep(b, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1')));
      const secrets = await Promise.all(browsers.map(async (b, i) => setupKeyIn(await b.get(`/interaction/${steps[i]!.uid}/mfa/totp`))));
      const commits = await Promise.all(browsers.map(async (b, i) => b.post(`/interaction/${steps[i]!.uid}/mfa/totp`, { code: await totpNow(secrets[i]!, clock) })));
      const winners = commits.map((c, i) => (c.status === 303 ? i : -1)).filter((i) => i >= 0);
      assert.equal(winners.length, 1, commits.map((c) => c.status).join(','));
      for (const c of commits) if (c.status !== 303) assert.equal(c.status, 409);
      await running.idp.mail.drain();
      assert.equal(smtp.to('fred@summit.test', 'Two-factor authentication is on').length, 1);
      clock.advance(30_000);
      const winner = secrets[winners[0]!]!;
      const login = new Browser(running.issuer);
      const { uid } = await passwordStep(login, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      assert.equal((await login.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(winner, clock) })).status, 303, 'the stored app is the winner');
    });

    it('an SMS enrollment on a stale screen does not add a phone to an enrolled account', async () => {
      const attacker = new Browser(running.issuer);
      const { uid } = await passwordStep(attacker, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      const owner = new Browser(running.issuer);
      const ownerStep = await passwordStep(owner, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
      await enrollTotp(owner, ownerStep.uid, clock);
      const send = await attacker.post(`/interaction/${uid}/mfa/sms`, { country: 'US', phone: '2015550199' });
      assert.equal(send.status, 409);
      assert.equal(await factors().getPhone('usr_fred'), undefined);
    });
  });

  describe('Procore Pay and SMS country rules at the challenge', () => {
    const makePayor = (userId: string, companyId: string, role: 'payor' | 'payee_admin') =>
      directory().saveMembership({ userId, companyId, status: 'active', permissions: { companyAdmin: 'none', directory: 'none' }, payRoles: [role] });

    it('a payor with an app and a phone is offered the app only, and a direct SMS post is refused', async () => {
      await makePayor('usr_hank', 'summit', 'payor');
      const browser = new Browser(running.issuer);
      const { uid, page } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'hank@summit.test', 'hank-password-1');
      assert.match(page.body, /Enter Your 6-digit Verification Code/, 'no chooser with a text message option');
      assert.equal((await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' })).status, 403);
      assert.equal((await browser.get(`/interaction/${uid}/mfa/sms/code`)).status, 403);
      assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: '123456' })).status, 403);
      assert.equal((await running.idp.stores.mfaLockout.read('usr_hank')).failures, 0, 'a refused method is not even counted');
      const ok = await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(HANK_SECRET, clock) });
      assert.equal(ok.status, 303);
    });

    it('a payor whose only factor is SMS must enroll the app, with no skip', async () => {
      await makePayor('usr_sam', 'summit', 'payor');
      const browser = new Browser(running.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { uid, page } = await passwordStep(browser, request.url, 'sam@summit.test', 'sam-password-12');
      assert.match(page.body, /Two-Factor Authentication Required/);
      assert.doesNotMatch(page.body, /Skip for now/);
      assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: '123456' })).status, 400);
      const { resume } = await enrollTotp(browser, uid, clock);
      const { callback } = await followRedirects(browser, resume);
      assert.ok(callback);
      assert.deepEqual((await exchangeCode(rp, callback, request)).claims()?.['amr'], ['pwd', 'otp', 'mfa']);
    });

    it('a payee admin whose phone is outside the US is offered the app only', async () => {
      await makePayor('usr_hank', 'summit', 'payee_admin');
      const browser = new Browser(running.issuer);
      const { uid, page } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'hank@summit.test', 'hank-password-1');
      assert.match(page.body, /Enter Your 6-digit Verification Code/);
      assert.equal((await browser.post(`/interaction/${uid}/mfa/choose`, { method: 'sms' })).status, 403);
    });

    it('a number outside SMS_COUNTRIES now is not offered: the user must enroll something else', async () => {
      // Enrolled while Japan was allowed; SMS_COUNTRIES no longer lists it (the seed import would refuse it today).
      await factors().savePhone('usr_sam', { e164: '+819012345678', country: 'JP', createdAt: 0 });
      const browser = new Browser(running.issuer);
      const { uid, page } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'sam@summit.test', 'sam-password-12');
      assert.match(page.body, /Two-Factor Authentication Required/);
      assert.equal((await browser.post(`/interaction/${uid}/mfa/sms/code`, { code: '123456' })).status, 400);
    });
  });

  it('the lockout ends the browser session even after another tab rotated its id', async () => {
    const browser = new Browser(running.issuer);
    const { uid: first } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1');
    // Another tab signs in again (prompt=login): the resume gives the session a new id.
    const again = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web, { prompt: 'login' })).url, 'erin@summit.test', 'erin-password-1');
    assert.match(again.page.body, /Enter Your 6-digit Verification Code/);
    for (let i = 0; i < 2; i++) assert.equal((await browser.post(`/interaction/${first}/mfa/verify`, { code: '000000' })).status, 401);
    const locked = await browser.post(`/interaction/${first}/mfa/verify`, { code: '000000' });
    assert.equal(locked.status, 429);
    const restart = await followRedirects(browser, await browser.get((await authorizationRequest(rp, CLIENTS.web)).url.href));
    assert.match(restart.page.body, /Log in/, 'the sign-in is over: back to the email step');
  });

  it('parallel guesses from one address cannot get past the address limit', async () => {
    await running.close();
    running = await startIdp(backend(), { clock, env: { MFA_MAX_FAILURES: '10', MFA_IP_MAX_FAILURES: '3' } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
    const browsers = Array.from({ length: 12 }, () => new Browser(running.issuer));
    const uids: string[] = [];
    // Password steps one after another: in-flight password attempts count against that limit too.
    for (const b of browsers) uids.push((await passwordStep(b, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1')).uid);
    const results = await Promise.all(browsers.map((b, i) => b.post(`/interaction/${uids[i]!}/mfa/verify`, { code: '000000' })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 3, `three checked, the rest refused unchecked: ${statuses.join(',')}`);
    const ok = await browsers[0]!.post(`/interaction/${uids[0]!}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) });
    assert.equal(ok.status, 429, 'the address stays limited for its window');
  });

  describe('"Skip for now"', () => {
    const ginaChallengeRecovery = async (browser: Browser) => {
      const { uid } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'gina@harbor.test', 'gina-password-1');
      return uid;
    };

    it('is not offered after a recovery code until a new factor is enrolled', async () => {
      // Gina (deadline ahead) enrolled early and saved her recovery code.
      const first = new Browser(running.issuer);
      const enrolled = await enrollTotp(first, await ginaChallengeRecovery(first), clock);
      const recoveryCode = enrolled.recoveryCode;

      const browser = new Browser(running.issuer);
      const uid = await ginaChallengeRecovery(browser);
      const used = await browser.post(`/interaction/${uid}/mfa/recovery`, { recovery_code: recoveryCode });
      assert.equal(used.status, 303);
      // She abandons the setup and starts over: enrollment is required now.
      const restart = await landOnPage(browser, await browser.get((await authorizationRequest(rp, CLIENTS.web)).url.href));
      assert.match(restart.body, /Two-Factor Authentication Required/);
      assert.doesNotMatch(restart.body, /Skip for now/);
      assert.equal((await browser.post(`/interaction/${uidIn(restart)}/mfa/skip`, {})).status, 403);
      const fresh = new Browser(running.issuer);
      const freshPage = (await passwordStep(fresh, (await authorizationRequest(rp, CLIENTS.web)).url, 'gina@harbor.test', 'gina-password-1')).page;
      assert.doesNotMatch(freshPage.body, /Skip for now/, 'nor in another browser');

      // A new factor ends the recovery.
      const { resume } = await enrollTotp(browser, uidIn(restart), clock);
      assert.ok((await followRedirects(browser, resume)).callback);
      assert.equal((await factors().factorsOf('usr_gina')).recoveringSession, undefined);
    });

    it('does not survive prompt=login: a new password login asks again', async () => {
      const browser = new Browser(running.issuer);
      const uid = await ginaChallengeRecovery(browser);
      assert.ok((await followRedirects(browser, await browser.post(`/interaction/${uid}/mfa/skip`, {}))).callback, 'skipped');
      assert.ok((await followRedirects(browser, await browser.get((await authorizationRequest(rp, CLIENTS.web)).url.href))).callback, 'remembered for the session');
      clock.advance(1000);
      const relogin = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web, { prompt: 'login' })).url, 'gina@harbor.test', 'gina-password-1');
      assert.match(relogin.page.body, /Two-Factor Authentication Required/);
      assert.match(relogin.page.body, /Skip for now/);
    });
  });

  describe('a malformed acr claim request', () => {
    const crafted = JSON.stringify({ id_token: { acr: { essential: true, values: { a: 1 } } } });

    it('is refused with invalid_request, before and after sign-in, never a 500', async () => {
      const browser = new Browser(running.issuer);
      const before = await browser.get((await authorizationRequest(rp, CLIENTS.web, { claims: crafted })).url.href);
      assert.equal(new URL(before.location ?? 'http://x/').searchParams.get('error'), 'invalid_request', `${before.status} ${before.location ?? ''}`);

      const { uid } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1');
      assert.ok(uid);
      const after = await browser.get((await authorizationRequest(rp, CLIENTS.web, { claims: crafted })).url.href);
      assert.equal(new URL(after.location ?? 'http://x/').searchParams.get('error'), 'invalid_request', `${after.status} ${after.location ?? ''}`);
    });
  });

  it('the consent screen shows the signed-in account, not the login_hint', async () => {
    const partner = await relyingParty(running.issuer, CLIENTS.partner);
    const browser = new Browser(running.issuer);
    const { uid } = await openAuthorization(browser, (await authorizationRequest(partner, CLIENTS.partner, { login_hint: 'ceo@victim.test' })).url);
    const consent = await landOnPage(browser, await submitCredentials(browser, uid, 'alice@acme.test', 'alice-password-1'));
    assert.match(consent.body, /Allow access\?/);
    assert.match(consent.body, /Alice@Acme\.test/);
    assert.doesNotMatch(consent.body, /ceo@victim\.test/);
  });
}
