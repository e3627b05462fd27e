import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { RecoveryCodeFactor } from '../../mfa/factors/recovery_code/recovery_code.ts';
import { ACR } from '../../mfa/assurance.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, ERIN_SECRET, HANK_SECRET, landOnPage, passwordStep, recoveryCodeIn, setupKeyIn, totpNow, uidIn } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type AuthRequest, type oidc } from '../helpers/rp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

const MFA_ACR = ACR.multiFactor;

/** MFA inside the OIDC flow, through openid-client, on one storage backend. */
export function mfaFlowSuite(backend: () => Backend): void {
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
    running = await startIdp(backend(), { clock, smtpUrl: smtp.url, env: { SESSION_TTL_SECONDS: String(30 * 86400) } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  afterEach(async () => {
    await running.close();
  });

  /** Authorizes, returns what the relying app gets back. */
  const tokensFor = async (browser: Browser, request: AuthRequest, page: Parameters<typeof followRedirects>[1]) => {
    const { callback, page: stopped } = await followRedirects(browser, page);
    assert.ok(callback, `expected a code, stopped at ${stopped.status}: ${stopped.body.slice(0, 300)}`);
    return exchangeCode(rp, callback, request);
  };

  it('enrolls an authenticator when the company requires it, with no way to skip', async () => {
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid, page } = await passwordStep(browser, request.url, 'fred@summit.test', 'fred-password-1');
    assert.match(page.body, /Two-Factor Authentication Required/);
    assert.doesNotMatch(page.body, /Skip for now/);
    assert.equal((await browser.post(`/interaction/${uid}/mfa/skip`, {})).status, 403);

    // A wrong code does not commit the enrollment.
    await browser.get(`/interaction/${uid}/mfa/totp`);
    const wrong = await browser.post(`/interaction/${uid}/mfa/totp`, { code: '000000' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /not right or has expired/);
    assert.equal(await running.idp.stores.mfaFactors.getTotp('usr_fred'), undefined);

    const { resume, secret, recoveryCode } = await enrollTotp(browser, uid, clock);
    const tokens = await tokensFor(browser, request, resume);
    const claims = tokens.claims()!;
    assert.deepEqual(claims['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(claims['acr'], MFA_ACR);
    assert.equal(claims.auth_time, Math.floor(clock() / 1000));

    await running.idp.mail.drain(); // emails leave through the outbox, after the response
    assert.equal(smtp.to('fred@summit.test', 'Two-factor authentication is on').length, 1);
    assert.equal(smtp.to('fred@summit.test', 'new recovery code').length, 1);
    for (const mail of smtp.to('fred@summit.test')) {
      for (const secretValue of [secret, recoveryCode, recoveryCode.replaceAll('-', '')]) assert.ok(!mail.raw.includes(secretValue), 'no code or secret in an email');
    }
  });

  it('a double-submitted enrollment code commits once, and the code shown is the one that works', async () => {
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await passwordStep(browser, request.url, 'fred@summit.test', 'fred-password-1');
    const secret = setupKeyIn(await browser.get(`/interaction/${uid}/mfa/totp`));
    const code = await totpNow(secret, clock);
    const results = await Promise.all([1, 2, 3].map(() => browser.post(`/interaction/${uid}/mfa/totp`, { code })));
    const redirects = results.filter((r) => r.status === 303);
    assert.ok(redirects.length >= 1, results.map((r) => r.status).join(','));
    for (const r of redirects) assert.match(r.location ?? '', /\/mfa\/recovery-code$/, 'a losing double submit shows the same recovery code');
    await running.idp.mail.drain();
    assert.equal(smtp.to('fred@summit.test', 'Two-factor authentication is on').length, 1, 'one enrollment, one email');
    const shown = recoveryCodeIn(await browser.get(`/interaction/${uid}/mfa/recovery-code`));
    await tokensFor(browser, request, await browser.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' }));

    const other = new Browser(running.issuer);
    const { uid: uid2 } = await passwordStep(other, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    assert.equal((await other.post(`/interaction/${uid2}/mfa/recovery`, { recovery_code: shown })).status, 303, 'the saved code works');
  });

  it('challenges an enrolled user and reports otp and mfa in the ID token', async () => {
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid, page } = await passwordStep(browser, request.url, 'erin@summit.test', 'erin-password-1');
    assert.match(page.body, /Enter Your 6-digit Verification Code/);
    assert.match(page.body, /autocomplete="one-time-code"/);
    assert.match(page.body, /inputmode="numeric"/);
    assert.match(page.body, /Use a recovery code/);

    for (const bad of ['abcdef', '12 34', '1234567', '']) {
      const res = await browser.post(`/interaction/${uid}/mfa/verify`, { code: bad });
      assert.equal(res.status, 401, `"${bad}" is a failed attempt, not an error`);
      assert.match(res.body, /Enter the 6-digit code/);
    }
    const tokens = await tokensFor(browser, request, await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));
    assert.deepEqual(tokens.claims()!['amr'], ['pwd', 'otp', 'mfa']);
    assert.equal(tokens.claims()!['acr'], MFA_ACR);

    // The session now carries MFA: the next app is signed in without a prompt.
    const next = await authorizationRequest(rp, CLIENTS.web);
    const again = await tokensFor(browser, next, await browser.get(next.url.href));
    assert.deepEqual(again.claims()!['amr'], ['pwd', 'otp', 'mfa']);
  });

  it('refuses a replayed code, and an earlier one, across sessions', async () => {
    const code = await totpNow(ERIN_SECRET, clock);
    const first = new Browser(running.issuer);
    const r1 = await authorizationRequest(rp, CLIENTS.web);
    const s1 = await passwordStep(first, r1.url, 'erin@summit.test', 'erin-password-1');
    await tokensFor(first, r1, await first.post(`/interaction/${s1.uid}/mfa/verify`, { code }));

    const second = new Browser(running.issuer);
    const r2 = await authorizationRequest(rp, CLIENTS.web);
    const s2 = await passwordStep(second, r2.url, 'erin@summit.test', 'erin-password-1');
    const replay = await second.post(`/interaction/${s2.uid}/mfa/verify`, { code });
    assert.equal(replay.status, 401);
    assert.match(replay.body, /not right or has expired/, 'the same message as a wrong code');

    clock.advance(30_000);
    const previous = await totpNow(ERIN_SECRET, () => clock() - 30_000);
    assert.equal((await second.post(`/interaction/${s2.uid}/mfa/verify`, { code: previous })).status, 401, 'inside the window, but not after a later use');
    await tokensFor(second, r2, await second.post(`/interaction/${s2.uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));
  });

  it('lets exactly one of two parallel submissions of one code through', async () => {
    const browsers = [new Browser(running.issuer), new Browser(running.issuer)];
    const steps = await Promise.all(browsers.map(async (b) => passwordStep(b, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1')));
    const code = await totpNow(ERIN_SECRET, clock);
    const results = await Promise.all(browsers.map((b, i) => b.post(`/interaction/${steps[i]!.uid}/mfa/verify`, { code })));
    assert.deepEqual(results.map((r) => r.status).sort(), [303, 401]);
  });

  it('a code of another account does not pass (two accounts mixed)', async () => {
    const browser = new Browser(running.issuer);
    const { uid } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1');
    assert.equal((await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(HANK_SECRET, clock) })).status, 401);
  });

  it('recovery: the code signs in once, the old authenticator is removed, a new one and a new code follow', async () => {
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await passwordStep(browser, request.url, 'fred@summit.test', 'fred-password-1');
    const { recoveryCode, secret: lostSecret } = await enrollTotp(browser, uid, clock);

    // A new device: log in again and use the recovery code.
    const phone = new Browser(running.issuer);
    const request2 = await authorizationRequest(rp, CLIENTS.web);
    const { uid: uid2 } = await passwordStep(phone, request2.url, 'fred@summit.test', 'fred-password-1');
    const entry = await phone.get(`/interaction/${uid2}/mfa/recovery`);
    assert.match(entry.body, /Use a Recovery Code/);
    assert.equal((await phone.post(`/interaction/${uid2}/mfa/recovery`, { recovery_code: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF' })).status, 401);
    const used = await phone.post(`/interaction/${uid2}/mfa/recovery`, { recovery_code: recoveryCode.toLowerCase().replaceAll('-', ' ') });
    assert.equal(used.status, 303);
    assert.match(used.location ?? '', /\/mfa\/methods$/);
    assert.equal(await running.idp.stores.mfaFactors.getTotp('usr_fred'), undefined, 'the lost authenticator is gone');
    await running.idp.mail.drain();
    assert.equal(smtp.to('fred@summit.test', 'recovery code was used').length, 1);

    clock.advance(30_000);
    const { recoveryCode: newCode, secret: newSecret } = await enrollTotp(phone, uid2, clock).then(async (r) => {
      const tokens = await tokensFor(phone, request2, r.resume);
      assert.deepEqual(tokens.claims()!['amr'], ['pwd', 'recovery_code', 'otp', 'mfa']);
      return r;
    });
    assert.notEqual(newCode, recoveryCode);
    assert.notEqual(newSecret, lostSecret);

    // The used code never works again.
    const third = new Browser(running.issuer);
    const { uid: uid3 } = await passwordStep(third, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    assert.equal((await third.post(`/interaction/${uid3}/mfa/recovery`, { recovery_code: recoveryCode })).status, 401);
  });

  it('a reset removes every factor and the recovery code: the next sign-in sets up again', async () => {
    await issueRecoveryCode(running, 'usr_hank');
    const before = await running.idp.stores.mfaFactors.factorsOf('usr_hank');
    assert.deepEqual([before.totp, before.phone !== undefined, before.recoveryCode], [true, true, true]);
    await running.idp.mfa.resetAllFactors('usr_hank');
    const after = await running.idp.stores.mfaFactors.factorsOf('usr_hank');
    assert.deepEqual([after.totp, after.phone, after.recoveryCode], [false, undefined, false]);
    const browser = new Browser(running.issuer);
    const { page } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'hank@summit.test', 'hank-password-1');
    assert.match(page.body, /Two-Factor Authentication Required/);
    assert.doesNotMatch(page.body, /Skip for now/);
  });

  it('20 parallel submissions of one recovery code: exactly one success', async () => {
    const issued = await running.idp.stores.mfaFactors.getTotp('usr_erin');
    assert.ok(issued);
    const code = await issueRecoveryCode(running, 'usr_erin');
    const browsers = Array.from({ length: 20 }, () => new Browser(running.issuer));
    // The password steps one after another: parallel password attempts of one account are themselves limited.
    const uids: string[] = [];
    for (const b of browsers) uids.push((await passwordStep(b, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1')).uid);
    const results = await Promise.all(browsers.map((b, i) => b.post(`/interaction/${uids[i]!}/mfa/recovery`, { recovery_code: code })));
    assert.equal(results.filter((r) => r.status === 303).length, 1);
    // The others fail; past the tenth failure the account's MFA step locks (429).
    assert.deepEqual([...new Set(results.filter((r) => r.status !== 303).map((r) => r.status))].sort(), [401, 429]);
  });

  it('before the deadline: "Skip for now" signs in with one factor and is remembered for the session', async () => {
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid, page } = await passwordStep(browser, request.url, 'gina@harbor.test', 'gina-password-1');
    assert.match(page.body, /Two-Factor Authentication Required/);
    assert.match(page.body, /2099-01-01/);
    assert.match(page.body, /Skip for now/);
    const tokens = await tokensFor(browser, request, await browser.post(`/interaction/${uid}/mfa/skip`, {}));
    assert.deepEqual(tokens.claims()!['amr'], ['pwd']);
    assert.equal(tokens.claims()!['acr'], ACR.singleFactor);

    const next = await authorizationRequest(rp, CLIENTS.web);
    await tokensFor(browser, next, await browser.get(next.url.href));

    // The admin brings the deadline to today: the same session is now stopped at enrollment, with no skip.
    const harbor = await running.idp.stores.directory.findCompany('harbor');
    assert.ok(harbor);
    await running.idp.stores.directory.saveCompany({ ...harbor, mfa: { ...harbor.mfa, enforcementDate: '2026-11-23' } });
    const after = await authorizationRequest(rp, CLIENTS.web);
    const stopped = await landOnPage(browser, await browser.get(after.url.href));
    assert.match(stopped.body, /Two-Factor Authentication Required/);
    assert.doesNotMatch(stopped.body, /Skip for now/);
    assert.equal((await browser.post(`/interaction/${uidIn(stopped)}/mfa/skip`, {})).status, 403);
  });

  it('step-up: acr_values or an essential acr claim enforce MFA even when policy does not', async () => {
    const browser = new Browser(running.issuer);
    const plain = await authorizationRequest(rp, CLIENTS.web);
    const { page } = await passwordStep(browser, plain.url, 'alice@acme.test', 'alice-password-1');
    assert.equal(page.status, 303, 'no MFA for alice by policy');
    assert.equal((await exchangeCode(rp, (await followRedirects(browser, page)).callback!, plain)).claims()!['acr'], ACR.singleFactor);

    const stepUp = await authorizationRequest(rp, CLIENTS.web, { acr_values: MFA_ACR });
    const enroll = await landOnPage(browser, await browser.get(stepUp.url.href));
    assert.match(enroll.body, /Two-Factor Authentication Required/);
    assert.doesNotMatch(enroll.body, /Skip for now/);
    const { resume, secret } = await enrollTotp(browser, uidIn(enroll), clock);
    const tokens = await tokensFor(browser, stepUp, resume);
    assert.equal(tokens.claims()!['acr'], MFA_ACR);

    // Essential acr through the claims parameter, in a fresh browser.
    clock.advance(30_000);
    const other = new Browser(running.issuer);
    const essential = await authorizationRequest(rp, CLIENTS.web, { claims: JSON.stringify({ id_token: { acr: { essential: true, value: MFA_ACR } } }) });
    const { uid, page: challenge } = await passwordStep(other, essential.url, 'alice@acme.test', 'alice-password-1');
    assert.match(challenge.body, /Enter Your 6-digit Verification Code/);
    const stepped = await tokensFor(other, essential, await other.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(secret, clock) }));
    assert.equal(stepped.claims()!['acr'], MFA_ACR);
  });

  it('prompt=none that needs MFA answers interaction_required', async () => {
    const browser = new Browser(running.issuer);
    await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1');
    const silent = await authorizationRequest(rp, CLIENTS.web, { prompt: 'none' });
    const res = await browser.get(silent.url.href);
    assert.equal(res.status, 303);
    assert.equal(new URL(res.location!).searchParams.get('error'), 'interaction_required');
  });

  it('prompt=login and max_age run the password again, then MFA', async () => {
    const browser = new Browser(running.issuer);
    const first = await authorizationRequest(rp, CLIENTS.web);
    const s1 = await passwordStep(browser, first.url, 'erin@summit.test', 'erin-password-1');
    await tokensFor(browser, first, await browser.post(`/interaction/${s1.uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));

    const reauthentications: Record<string, string>[] = [{ prompt: 'login' }, { max_age: '0' }];
    for (const params of reauthentications) {
      clock.advance(30_000);
      const request = await authorizationRequest(rp, CLIENTS.web, params);
      const { uid, page } = await passwordStep(browser, request.url, 'erin@summit.test', 'erin-password-1');
      assert.match(page.body, /Enter Your 6-digit Verification Code/, `${JSON.stringify(params)}: MFA after the password`);
      const tokens = await tokensFor(browser, request, await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));
      assert.deepEqual(tokens.claims()!['amr'], ['pwd', 'otp', 'mfa']);
    }
  });

  it('re-verifies when the session’s MFA is older than the company frequency (12 h)', async () => {
    const browser = new Browser(running.issuer);
    const first = await authorizationRequest(rp, CLIENTS.web);
    const s1 = await passwordStep(browser, first.url, 'erin@summit.test', 'erin-password-1');
    await tokensFor(browser, first, await browser.post(`/interaction/${s1.uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));

    clock.advance(11 * 3600 * 1000);
    const within = await authorizationRequest(rp, CLIENTS.web);
    await tokensFor(browser, within, await browser.get(within.url.href));

    clock.advance(2 * 3600 * 1000);
    const stale = await authorizationRequest(rp, CLIENTS.web);
    const page = await landOnPage(browser, await browser.get(stale.url.href));
    assert.match(page.body, /Enter Your 6-digit Verification Code/, 'MFA again, without the password');
    await tokensFor(browser, stale, await browser.post(`/interaction/${uidIn(page)}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));
  });

  it('a Procore Pay payor must use MFA and is offered the authenticator app only', async () => {
    const browser = new Browser(running.issuer);
    const { uid, page } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'pat@acme.test', 'pat-password-12');
    assert.match(page.body, /Two-Factor Authentication Required/);
    assert.doesNotMatch(page.body, /Skip for now/);
    const methods = await browser.get(`/interaction/${uid}/mfa/methods`);
    assert.match(methods.body, /href="\/interaction\/[\w-]+\/mfa\/totp"/);
    assert.doesNotMatch(methods.body, /href="\/interaction\/[\w-]+\/mfa\/sms"/, 'no way to SMS');
    assert.match(methods.body, /Procore Pay payors must use an authenticator app/);
    const sms = await browser.get(`/interaction/${uid}/mfa/sms`);
    assert.equal(sms.status, 403);
    assert.match(sms.body, /authenticator app/);
  });
}

function issueRecoveryCode(running: RunningIdp, userId: string): Promise<string> {
  return new RecoveryCodeFactor(running.idp.stores.mfaFactors, Date.now).issue(userId);
}
