import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.ts';
import { openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { landOnPage, uidIn } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';

function throttleSuite(backend: () => Backend): void {
  let running: RunningIdp;
  beforeEach(async () => {
    running = await startIdp(backend(), {
      env: { LOGIN_ACCOUNT_MAX_FAILURES: '3', LOGIN_ACCOUNT_LOCK_SECONDS: '900', LOGIN_IP_MAX_FAILURES: '6' },
    });
  });
  afterEach(async () => {
    await running.close();
  });

  /** Each attempt is a fresh browser and interaction: the limit must hold across sessions. */
  const attempt = async (email: string, password: string) => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const browser = new Browser(running.issuer);
    const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
    return submitCredentials(browser, uid, email, password);
  };

  /** N password submissions sent at once, each from its own browser and interaction. */
  const parallelAttempts = async (emails: string[], password: string) => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const ready = await Promise.all(emails.map(async (email) => {
      const browser = new Browser(running.issuer);
      const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
      assert.equal((await browser.post(`/interaction/${uid}/email`, { email })).status, 200);
      return { browser, uid, email };
    }));
    const pages = await Promise.all(ready.map(({ browser, uid, email }) => browser.post(`/interaction/${uid}/password`, { email, password })));
    const statuses = pages.map((p) => p.status);
    // A 401 is a password that was checked; a 429 was refused before hashing.
    return { checked: statuses.filter((s) => s === 401).length, refused: statuses.filter((s) => s === 429).length };
  };

  it('locks the account after the configured failures, across sessions, even for the right password', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await attempt('alice@acme.test', 'wrong')).status, 401);
    const locked = await attempt('ALICE@acme.test', 'alice-password-1');
    assert.equal(locked.status, 429);
    assert.match(locked.body, /Too many failed attempts\. Try again in 15 minutes\./);
    assert.equal(locked.headers.get('retry-after'), '900');
    assert.equal((await attempt('bob@acme.test', 'bob-password-12')).status, 303, 'other accounts are unaffected');
  });

  it('locks unknown emails the same way as known ones', async () => {
    for (let i = 0; i < 3; i++) await attempt('ghost@acme.test', 'wrong');
    assert.equal((await attempt('ghost@acme.test', 'wrong')).status, 429);
  });

  it('a success resets the account count', async () => {
    for (let i = 0; i < 2; i++) await attempt('bob@acme.test', 'wrong');
    assert.equal((await attempt('bob@acme.test', 'bob-password-12')).status, 303);
    for (let i = 0; i < 2; i++) assert.equal((await attempt('bob@acme.test', 'wrong')).status, 401);
  });

  it('limits one address trying many accounts', async () => {
    for (let i = 0; i < 6; i++) assert.equal((await attempt(`user${i}@acme.test`, 'wrong')).status, 401);
    assert.equal((await attempt('alice@acme.test', 'alice-password-1')).status, 429);
  });

  it('parallel wrong passwords for one account: at most the limit are checked', async () => {
    const { checked, refused } = await parallelAttempts(Array.from({ length: 20 }, () => 'alice@acme.test'), 'wrong');
    assert.ok(checked >= 1 && checked <= 3, `${checked} passwords checked against a limit of 3`);
    assert.equal(checked + refused, 20);
  });

  it('parallel wrong passwords from one address: at most the address limit are checked', async () => {
    const { checked, refused } = await parallelAttempts(Array.from({ length: 20 }, (_, i) => `user${i}@acme.test`), 'wrong');
    assert.ok(checked >= 1 && checked <= 6, `${checked} passwords checked against a limit of 6`);
    assert.equal(checked + refused, 20);
  });

  it('a success gives the address its point back: the address limit counts failures only', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await attempt(`user${i}@acme.test`, 'wrong')).status, 401);
    for (let i = 0; i < 3; i++) assert.equal((await attempt('bob@acme.test', 'bob-password-12')).status, 303);
    assert.equal((await attempt('user9@acme.test', 'wrong')).status, 401, 'the sixth failure is still checked');
    assert.equal((await attempt('alice@acme.test', 'alice-password-1')).status, 429);
  });
}

onEachBackend('failed-password limits', throttleSuite);

/**
 * Behind a proxy the client writes the left of X-Forwarded-For: only the entries the trusted
 * proxies appended, counted from the right, may be believed.
 */
function proxySuite(backend: () => Backend): void {
  let running: RunningIdp | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  const attemptVia = async (forwardedFor: string, email: string, password: string) => {
    if (!running) throw new Error('not started');
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const browser = new Browser(running.issuer);
    browser.headers['x-forwarded-for'] = forwardedFor;
    const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
    return { browser, uid, page: await submitCredentials(browser, uid, email, password) };
  };

  it('the per-address password limit holds when the client forges the left of X-Forwarded-For', async () => {
    running = await startIdp(backend(), { env: { TRUST_PROXY: 'true', LOGIN_IP_MAX_FAILURES: '5' } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await attemptVia(`10.9.${i}.7, 198.51.100.20`, `user${i}@acme.test`, 'wrong')).page.status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
  });

  const cases: { name: string; env: Record<string, string>; forwardedFor: string; ip: string }[] = [
    { name: 'no proxy trusted: the socket address', env: {}, forwardedFor: '10.9.1.7, 198.51.100.20', ip: '127.0.0.1' },
    { name: 'one trusted hop (the default): the rightmost entry', env: { TRUST_PROXY: 'true' }, forwardedFor: '10.9.1.7, 198.51.100.20', ip: '198.51.100.20' },
    { name: 'two trusted hops: the second entry from the right', env: { TRUST_PROXY: 'true', TRUSTED_PROXY_HOPS: '2' }, forwardedFor: '10.9.1.7, 198.51.100.20, 192.0.2.1', ip: '198.51.100.20' },
  ];
  for (const c of cases) {
    it(`audits the client address: ${c.name}`, async () => {
      running = await startIdp(backend(), { env: c.env });
      const { browser, page } = await attemptVia(c.forwardedFor, 'erin@summit.test', 'erin-password-1');
      const challenge = await landOnPage(browser, page);
      const failed = await browser.post(`/interaction/${uidIn(challenge)}/mfa/verify`, { code: '000000' });
      assert.equal(failed.status, 401);
      const events = await running.idp.stores.audit.forUser('usr_erin', 10);
      assert.deepEqual(events.filter((e) => e.type === 'mfa.challenge_failed').map((e) => e.ip), [c.ip]);
    });
  }
}

onEachBackend('client address behind a proxy', proxySuite);
