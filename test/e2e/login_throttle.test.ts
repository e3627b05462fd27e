import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.ts';
import { openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { onEachBackend } from '../helpers/backends.ts';
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
}

onEachBackend('failed-password limits', throttleSuite);
