import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { ERIN_SECRET } from '../helpers/mfa.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { redisBackend } from '../helpers/backends.ts';
import { CLIENTS, relyingParty } from '../helpers/rp.ts';
import { idTokenClaims, redeem, SignInUser, type App } from './sign_in_user.ts';

/**
 * A Redis that stops answering (connected, silent) while the app's token endpoint waits on it: the
 * client gets JSON it can act on, 503 `temporarily_unavailable` with Retry-After, once
 * REQUEST_TIMEOUT_SECONDS has passed, not an HTML page; and once Redis answers, the app gets its
 * tokens, with MFA. test/http/redis_stall.test.ts covers the pages and /auth.
 */
describe('Redis stalling under the token endpoint', function () {
  this.timeout(20_000);
  const redis = useRedis();
  let running: RunningIdp;
  let app: App;

  before(async function () {
    if (!redis().server) this.skip(); // REDIS_URL given: not ours to stall.
    const clock = manualClock(Date.now());
    running = await startIdp(redisBackend(redis()), { clock, env: { REQUEST_TIMEOUT_SECONDS: '1' } });
    app = { issuer: running.issuer, rp: await relyingParty(running.issuer, CLIENTS.web), clock };
  });
  after(async () => {
    await running.close();
  });

  it('answers JSON 503 after the request deadline, and the app finishes once Redis answers', async () => {
    const server = redis().server!;
    const user = new SignInUser(app, new Browser(app.issuer), { email: 'erin@summit.test', password: 'erin-password-1', secret: ERIN_SECRET, recoveryCode: undefined });
    const callback = await user.finishFrom(await user.startAtTheApp());

    server.pause();
    let answer;
    const started = performance.now();
    try {
      answer = await redeem(app, callback, user.request!);
    } finally {
      server.resume();
    }
    const ms = performance.now() - started;
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.equal(answer.body['error'], 'temporarily_unavailable');
    assert.ok(ms < 1000 + 1500, `the token endpoint took ${Math.round(ms)} ms`);

    // The abandoned request may still have used the code once Redis answered: the app then starts again.
    const retried = await redeem(app, callback, user.request!);
    const body = retried.status === 200 ? retried.body : (await redeem(app, await user.finishFrom(await user.startAtTheApp()), user.request!)).body;
    assert.equal(idTokenClaims(body).acr, 'urn:idp:acr:mfa');
  });
});
