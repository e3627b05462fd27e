import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { ERIN_SECRET, landOnPage, passwordStep, totpNow } from '../helpers/mfa.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { authorizationRequest, CLIENTS, relyingParty, type oidc } from '../helpers/rp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

function lockoutSuite(backend: () => Backend): void {
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
    running = await startIdp(backend(), { clock, smtpUrl: smtp.url, env: { MFA_MAX_FAILURES: '4', MFA_LOCK_MINUTES: '1,5' } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  afterEach(async () => {
    await running.close();
  });

  const challenge = async (browser: Browser) =>
    (await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1')).uid;

  it('counts failures per account across interactions, locks with growing delays, and ends the sign-in', async () => {
    const a = new Browser(running.issuer);
    const b = new Browser(running.issuer);
    const uidA = await challenge(a);
    const uidB = await challenge(b);
    for (let i = 0; i < 2; i++) assert.equal((await a.post(`/interaction/${uidA}/mfa/verify`, { code: '000000' })).status, 401);
    assert.equal((await b.post(`/interaction/${uidB}/mfa/verify`, { code: '000000' })).status, 401);
    const locked = await b.post(`/interaction/${uidB}/mfa/recovery`, { recovery_code: 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF' });
    assert.equal(locked.status, 429, 'the fourth failure, in another interaction and with another factor, locks');
    assert.match(locked.body, /Try again in 1 minute\./);
    await running.idp.mail.drain();
    assert.equal(smtp.to('erin@summit.test', 'Sign-in paused').length, 1);

    // The sign-in that hit the limit is over: the browser must start again with the password.
    const restart = await followRedirects(b, await b.get((await authorizationRequest(rp, CLIENTS.web)).url.href));
    assert.match(restart.page.body, /Log in/);
    // Locked for every session: even the right code is refused.
    assert.equal((await a.post(`/interaction/${uidA}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) })).status, 429);

    clock.advance(61_000);
    for (let i = 0; i < 4; i++) await a.post(`/interaction/${uidA}/mfa/verify`, { code: '000000' });
    const second = await landOnPage(a, await a.get(`/interaction/${uidA}`));
    assert.equal(second.status, 400, 'the second lock ended this interaction too');
    const again = new Browser(running.issuer);
    const uidC = await challenge(again);
    assert.match((await again.post(`/interaction/${uidC}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) })).body, /Try again in 5 minutes\./);

    clock.advance(5 * 60_000 + 1000);
    const ok = await again.post(`/interaction/${uidC}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) });
    assert.equal(ok.status, 303, 'a success after the lock');
    assert.deepEqual(await running.idp.stores.mfaLockout.read('usr_erin'), { failures: 0, level: 0, lockedUntil: 0 }, 'and it resets the count');
  });

  it('parallel guesses cannot get past the limit: only the allowed number is ever checked', async () => {
    const browsers = Array.from({ length: 12 }, () => new Browser(running.issuer));
    // The password steps one after another: parallel password attempts of one account are themselves limited.
    const uids: string[] = [];
    for (const b of browsers) uids.push(await challenge(b));
    const results = await Promise.all(browsers.map((b, i) => b.post(`/interaction/${uids[i]!}/mfa/verify`, { code: '000000' })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 3, `three plain failures, then locked: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 429).length, 9);
  });

  it('records audit events per user and per company', async () => {
    const browser = new Browser(running.issuer);
    const uid = await challenge(browser);
    await browser.post(`/interaction/${uid}/mfa/verify`, { code: '000000' });
    await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) });
    const events = await running.idp.stores.audit.forUser('usr_erin', 10);
    assert.deepEqual(events.map((e) => e.type), ['mfa.challenge_succeeded', 'mfa.challenge_failed']);
    assert.equal(events[0]?.ip, '127.0.0.1');
    assert.equal(events[0]?.at, clock());
    assert.deepEqual((await running.idp.stores.audit.forCompany('summit', 10)).map((e) => e.userId), ['usr_erin', 'usr_erin']);
  });
}

onEachBackend('MFA lockout', lockoutSuite);
