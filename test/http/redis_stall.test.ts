import assert from 'node:assert/strict';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { makeStores, startIdp, type RunningIdp } from '../helpers/idp.ts';
import { redisBackend } from '../helpers/backends.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty } from '../helpers/rp.ts';

async function timed(call: () => Promise<Page>): Promise<{ page: Page; ms: number }> {
  const started = performance.now();
  const page = await call();
  return { page, ms: performance.now() - started };
}

/**
 * A Redis that stalls (here SIGSTOP: the kernel keeps accepting, the process never answers) must not
 * hang requests: readiness fails fast, requests fail with a 503 after a bounded wait, and everything
 * works again once Redis answers.
 */
describe('a stalled Redis', () => {
  const redis = useRedis();

  it('fails /readyz fast and requests within a bounded time, and recovers', async function () {
    const server = redis().server;
    if (!server) this.skip(); // REDIS_URL given: not ours to stall.
    const backend = redisBackend(redis());
    const stores = await makeStores(backend);
    let running: RunningIdp | undefined;
    let paused = false;
    try {
      running = await startIdp(backend, { stores, env: { REQUEST_TIMEOUT_SECONDS: '3' } });
      const rp = await relyingParty(running.issuer, CLIENTS.web);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const browser = new Browser(running.issuer);
      const { uid } = await openAuthorization(browser, request.url);

      server.pause();
      paused = true;
      const ready = await timed(() => browser.get('/readyz'));
      assert.equal(ready.page.status, 503);
      assert.ok(ready.ms < 2000, `/readyz took ${Math.round(ready.ms)} ms`);

      const email = await timed(() => browser.post(`/interaction/${uid}/email`, { email: 'alice@acme.test' }));
      assert.equal(email.page.status, 503);
      assert.match(email.page.body, /Temporarily unavailable/);
      assert.ok(email.ms < 8000, `the interaction page took ${Math.round(email.ms)} ms`);

      const authorize = await timed(async () => browser.get((await authorizationRequest(rp, CLIENTS.web)).url.href));
      assert.equal(authorize.page.status, 503);
      assert.ok(authorize.ms < 8000, `/auth took ${Math.round(authorize.ms)} ms`);

      server.resume();
      paused = false;
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await browser.get('/readyz')).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(status, 200, 'ready again once Redis answers');
      const { callback } = await followRedirects(browser, await submitCredentials(browser, uid, 'alice@acme.test', 'alice-password-1'));
      assert.ok(callback, 'the interaction started before the stall still completes');
      assert.equal((await exchangeCode(rp, callback, request)).claims()?.sub, 'usr_alice');
    } finally {
      if (paused) server.resume();
      await running?.close();
      await stores.close();
    }
  });
});
