import assert from 'node:assert/strict';
import { requireTool } from '../helpers/tools.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stores } from '../../adapters/stores.ts';
import { manualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { makeStores, startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { recoveryCodeIn, setupKeyIn, totpNow } from '../helpers/mfa.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { CLIENTS, relyingParty } from '../helpers/rp.ts';
import { idTokenClaims, redeem, SignInUser, type App } from './sign_in_user.ts';

/** How far one account got, in order: an app enrolled, a recovery code issued, the code used. */
type Stage = 0 | 1 | 2 | 3;

function stageOf(factors: { totp: boolean; recoveryCode: boolean; recoveringSession: string | undefined }): Stage {
  if (factors.recoveringSession !== undefined) return 3;
  if (factors.recoveryCode) return 2;
  return factors.totp ? 1 : 0;
}

async function waitForReady(issuer: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${issuer}/readyz`);
    await res.body?.cancel();
    if (res.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the app did not reconnect to Redis');
}

/**
 * Redis run with its append-only file fsynced after every write (`appendfsync always`) and killed
 * with SIGKILL: every write the app was told had succeeded is there after the restart, so no
 * acknowledged enrollment, recovery-code use or MFA failure count is lost. (What `everysec` may lose
 * is in the README, "Running on Redis": it depends on the machine crashing, not on a kill.)
 */
describe('Redis killed with SIGKILL and restarted from its append-only file (appendfsync always)', function () {
  this.timeout(30_000);
  let dir: string;
  let redis: RedisServer;
  const prefix = 'aof:';

  before(async function () {
    requireTool(this, 'redis-server', 'redis-server');
    dir = mkdtempSync(join(tmpdir(), 'redis-aof-'));
    redis = await RedisServer.start({ appendonly: true, appendfsync: 'always', dir });
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const backend = (): Backend => ({ kind: 'redis', topology: { kind: 'single', url: redis.url }, prefix });

  it('a stream of enrollments, recovery-code uses and failure counts: each one acknowledged before the kill survives it', async () => {
    const stores: Stores = await makeStores(backend());
    const users = Array.from({ length: 120 }, (_, i) => `usr_stream_${i}`);
    const acked = new Map<string, { stage: Stage; failures: number }>(users.map((u) => [u, { stage: 0, failures: 0 }]));
    let acks = 0;
    let killAt: () => void = () => undefined;
    const enoughAcks = new Promise<void>((resolve) => {
      killAt = resolve;
    });
    const ack = (): void => {
      if (++acks === 200) killAt();
    };
    // Eight accounts at a time, each through its steps in order, as eight browsers would.
    const worker = async (mine: string[]): Promise<void> => {
      for (const u of mine) {
        const progress = acked.get(u)!;
        try {
          assert.equal(await stores.mfaFactors.enrollIfUnchanged(u, { kind: 'totp', record: { sealedSecret: `secret-${u}`, createdAt: 1 }, timeStep: 1 }, 0), true);
          progress.stage = 1;
          ack();
          await stores.mfaFactors.setRecoveryCodeHash(u, `hash-${u}`, 1);
          progress.stage = 2;
          ack();
          for (let n = 0; n < 2; n++) {
            assert.equal((await stores.mfaLockout.beginAttempt(u, Date.now())).locked, false);
            progress.failures++;
            ack();
          }
          assert.equal(await stores.mfaFactors.redeemRecoveryCode(u, `hash-${u}`, `session-${u}`), true);
          progress.stage = 3;
          ack();
        } catch (err) {
          if (err instanceof assert.AssertionError) throw err;
          return; // Redis died: this browser got an error page, nothing was acknowledged.
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(users.filter((_, i) => i % 8 === w)));
    await enoughAcks;
    await redis.stop(); // SIGKILL, in the middle of the stream
    await Promise.all(workers);
    await stores.close();
    await redis.start();

    const after = await makeStores(backend());
    try {
      const inFlightApplied: string[] = [];
      for (const u of users) {
        const before = acked.get(u)!;
        const stage = stageOf(await after.mfaFactors.factorsOf(u));
        assert.ok(stage >= before.stage, `${u}: acknowledged up to step ${before.stage}, found step ${stage} after the restart`);
        assert.ok(stage <= before.stage + 1, `${u}: found step ${stage}, beyond the one in flight`);
        if (stage > before.stage) inFlightApplied.push(u);
        const { failures } = await after.mfaLockout.read(u);
        // Nothing in this stream resets the count (a success would): it can only have grown.
        assert.ok(failures >= before.failures, `${u}: ${before.failures} failures acknowledged, ${failures} after the restart`);
      }
      assert.ok(acks >= 200 && acks < 120 * 6, `the kill came in the middle of the stream (${acks} acknowledged)`);
    } finally {
      await after.close();
    }
  });

  describe('through the app', () => {
    let running: RunningIdp;
    let app: App;
    const clock = manualClock(Date.now());
    before(async () => {
      running = await startIdp(backend(), { clock });
      app = { issuer: running.issuer, rp: await relyingParty(running.issuer, CLIENTS.web), clock };
    });
    after(async () => {
      await running.close();
    });

    const killAndRestart = async (): Promise<void> => {
      await redis.stop();
      await redis.start();
      await waitForReady(app.issuer);
    };

    /** Opens the app and signs in with the password; returns the first page after it. */
    async function password(user: SignInUser): Promise<Page> {
      let page = await user.startAtTheApp();
      while (page.status === 303) page = await user.browser.get(page.location ?? '');
      const email = /action="(\/interaction\/[\w-]+\/email)"/.exec(page.body)?.[1];
      assert.ok(email);
      page = await user.browser.post(email, { email: user.person.email });
      const action = /action="(\/interaction\/[\w-]+\/password)"/.exec(page.body)?.[1];
      assert.ok(action);
      page = await user.browser.post(action, { email: user.person.email, password: user.person.password });
      while (page.status === 303) page = await user.browser.get(page.location ?? '');
      return page;
    }

    it('an enrollment acknowledged just before the kill is there after it: the next sign-in is challenged for that app', async () => {
      const fred = new SignInUser(app, new Browser(app.issuer), { email: 'fred@summit.test', password: 'fred-password-1', secret: undefined, recoveryCode: undefined });
      const required = await password(fred);
      assert.match(required.body, /Two-Factor Authentication Required/);
      const uid = /\/interaction\/([\w-]+)\//.exec(required.body)?.[1] ?? '';
      const setup = await fred.browser.get(`/interaction/${uid}/mfa/totp`);
      fred.person.secret = setupKeyIn(setup);
      clock.advance(30_000);
      fred.mfaSubmitted = true;
      const committed = await fred.browser.post(`/interaction/${uid}/mfa/totp`, { code: await totpNow(fred.person.secret, clock) });
      assert.equal(committed.status, 303, 'acknowledged');

      await killAndRestart();
      const save = await fred.browser.get(committed.location ?? '');
      assert.equal(save.status, 200, 'the sign-in and its new recovery code survived too');
      const recoveryCode = recoveryCodeIn(save);
      const callback = await fred.finishFrom(save);
      assert.equal(idTokenClaims((await redeem(app, callback, fred.request!)).body).acr, 'urn:idp:acr:mfa');

      const again = new SignInUser(app, new Browser(app.issuer), { ...fred.person, recoveryCode });
      const challenge = await password(again);
      assert.match(challenge.body, /action="\/interaction\/[\w-]+\/mfa\/verify"/, 'challenged for the app enrolled before the kill, not asked to enroll');
      const tokens = await redeem(app, await again.finishFrom(challenge), again.request!);
      assert.equal(idTokenClaims(tokens.body).acr, 'urn:idp:acr:mfa');
    });

    it('a recovery code used just before the kill stays used after it; the sign-in that used it goes on to a new app', async () => {
      const code = await running.idp.mfa.issueRecoveryCode('usr_hank');
      const hank = new SignInUser(app, new Browser(app.issuer), { email: 'hank@summit.test', password: 'hank-password-1', secret: undefined, recoveryCode: code });
      const challenge = await password(hank);
      const uid = /\/interaction\/([\w-]+)\//.exec(challenge.body)?.[1] ?? '';
      hank.mfaSubmitted = true;
      const used = await hank.browser.post(`/interaction/${uid}/mfa/recovery`, { recovery_code: code });
      assert.equal(used.status, 303, `acknowledged: ${used.body.slice(0, 200)}`);

      await killAndRestart();
      const factors = await running.idp.stores.mfaFactors.factorsOf('usr_hank');
      assert.equal(factors.recoveryCode, false, 'the code is still used');
      assert.equal(factors.totp, false, 'and the lost app still removed');

      const thief = new SignInUser(app, new Browser(app.issuer), { ...hank.person });
      const page = await password(thief);
      const thiefUid = /\/interaction\/([\w-]+)\//.exec(page.body)?.[1] ?? '';
      const replay = await thief.browser.post(`/interaction/${thiefUid}/mfa/recovery`, { recovery_code: code });
      assert.notEqual(replay.status, 303, 'the code cannot be used again in another browser');

      const callback = await hank.finishFrom(await hank.browser.get(used.location ?? ''));
      assert.equal(idTokenClaims((await redeem(app, callback, hank.request!)).body).acr, 'urn:idp:acr:mfa');
      assert.ok(hank.recoveryCodesShown.length === 1, 'a new recovery code was issued with the new app');
    });
  });
});
