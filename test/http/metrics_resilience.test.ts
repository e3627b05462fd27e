import assert from 'node:assert/strict';
import { makeStores, startIdp, type RunningIdp } from '../helpers/idp.ts';
import { sample, scrape } from '../helpers/metrics.ts';
import { redisBackend } from '../helpers/backends.ts';
import { useRedis } from '../helpers/redis_suite.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('/metrics while Redis is down', () => {
  const redis = useRedis();

  it('answers 200 without the queue gauges (not 0: unknown), counts the 503s meanwhile, and has the gauges again when Redis is back', async function () {
    const server = redis().server;
    if (!server) this.skip(); // REDIS_URL given: not ours to stop.
    const backend = redisBackend(redis());
    const stores = await makeStores(backend);
    let running: RunningIdp | undefined;
    try {
      running = await startIdp(backend, { stores, env: { METRICS_TOKEN } });
      const up = await scrape(running.issuer, METRICS_TOKEN);
      assert.equal(sample(up.samples, 'idp_mail_queue_depth'), 0);

      await server.stop();
      // The 503s of the readiness probe and of a page (Redis refused at once: no offline queue).
      assert.equal((await fetch(`${running.issuer}/readyz`)).status, 503);
      const down = await scrape(running.issuer, METRICS_TOKEN);
      assert.equal(sample(down.samples, 'idp_mail_queue_depth'), undefined, 'left out, not reported as 0');
      assert.equal(sample(down.samples, 'idp_mail_queue_oldest_age_seconds'), undefined);
      assert.match(down.text, /# TYPE idp_mail_queue_depth gauge/);
      assert.ok((sample(down.samples, 'idp_http_request_duration_seconds_count', { route: '/readyz', method: 'GET', status_class: '5xx' }) ?? 0) >= 1);

      await server.start();
      let depth: number | undefined;
      for (let i = 0; i < 100 && depth === undefined; i++) {
        depth = sample((await scrape(running.issuer, METRICS_TOKEN)).samples, 'idp_mail_queue_depth');
        if (depth === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(depth, 0, 'back once Redis is');
    } finally {
      await running?.close();
      await stores.close();
    }
  });
});
