import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.ts';
import { followRedirects, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { makeStores, startIdp, type RunningIdp } from '../helpers/idp.ts';
import { redisBackend } from '../helpers/backends.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty } from '../helpers/rp.ts';

describe('instances sharing Redis', () => {
  const redis = useRedis();
  const backend = () => redisBackend(redis());

  it('a login started on instance A finishes on instance B', async () => {
    const a = await startIdp(backend());
    const b = await startIdp(backend(), { issuer: a.issuer });
    try {
      const rp = await relyingParty(a.issuer, CLIENTS.web);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const browser = new Browser(`http://127.0.0.1:${a.port}`);
      const { uid } = await openAuthorization(browser, request.url);
      browser.target = `http://127.0.0.1:${b.port}`;
      const { callback } = await followRedirects(browser, await submitCredentials(browser, uid, 'alice@acme.test', 'alice-password-1'));
      assert.ok(callback);
      const tokens = await exchangeCode(rp, callback, request);
      assert.equal(tokens.claims()?.sub, 'usr_alice');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a restart in the middle of an interaction does not lose it', async () => {
    const first = await startIdp(backend());
    const rp = await relyingParty(first.issuer, CLIENTS.web);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const browser = new Browser(first.issuer);
    const { uid } = await openAuthorization(browser, request.url);
    await first.close();

    const second = await startIdp(backend(), { port: first.port });
    try {
      const { callback } = await followRedirects(browser, await submitCredentials(browser, uid, 'alice@acme.test', 'alice-password-1'));
      assert.ok(callback);
      assert.equal((await exchangeCode(rp, callback, request)).claims()?.sub, 'usr_alice');
    } finally {
      await second.close();
    }
  });

  it('fails closed with 503 while Redis is down, and recovers', async function () {
    const server = redis().server;
    if (!server) this.skip(); // REDIS_URL given: not ours to stop.
    const stores = await makeStores(backend());
    let running: RunningIdp | undefined;
    try {
      running = await startIdp(backend(), { stores });
      const rp = await relyingParty(running.issuer, CLIENTS.web);
      const browser = new Browser(running.issuer);
      const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);

      await server.stop();
      const ready = await browser.get('/readyz');
      assert.equal(ready.status, 503);
      const login = await browser.post(`/interaction/${uid}/email`, { email: 'alice@acme.test' });
      assert.equal(login.status, 503);
      assert.match(login.body, /Temporarily unavailable/);
      const password = await browser.post(`/interaction/${uid}/password`, { email: 'alice@acme.test', password: 'alice-password-1' });
      assert.equal(password.status, 503, 'never let through');
      const authorize = await browser.get((await authorizationRequest(rp, CLIENTS.web)).url.href);
      assert.equal(authorize.status, 503);
      assert.match(authorize.body, /Temporarily unavailable/);
      const console = await browser.get('/admin/companies/acme/security/mfa');
      assert.equal(console.status, 503, 'the admin console fails closed too');
      browser.headers['authorization'] = 'Bearer some-token';
      const api = await browser.get('/api/v1/companies/acme/mfa-settings');
      delete browser.headers['authorization'];
      assert.equal(api.status, 503);
      assert.equal(api.headers.get('retry-after'), '60');
      assert.deepEqual(JSON.parse(api.body), { error: 'temporarily_unavailable', message: 'We cannot sign you in right now. Nothing was lost: please try again in a minute.' });

      await server.start();
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await browser.get('/readyz')).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(status, 200, 'ready again once Redis is back');
    } finally {
      await running?.close();
      await stores.close();
    }
  });
});
