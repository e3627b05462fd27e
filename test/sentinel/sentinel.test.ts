import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { createClient } from 'redis';
import { redisStores } from '../../adapters/stores.ts';
import { connectRedis, isStoreUnavailable } from '../../adapters/redis/client.ts';
import { ReplicationUnconfirmed } from '../../adapters/redis/replica_acks.ts';
import { loadConfig } from '../../config/config.ts';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, ERIN_SECRET, passwordStep, setupKeyIn, totpNow } from '../helpers/mfa.ts';
import { useRedisSentinel } from '../helpers/redis_sentinel.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty } from '../helpers/rp.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
const silent = pino({ level: 'silent' });

describe('Redis Sentinel: one master, one replica, three sentinels', function () {
  // Each failover takes a few seconds of the sentinels' own timing (test/helpers/redis_sentinel.ts).
  this.timeout(60_000);
  const deployment = useRedisSentinel();
  const sentinelEnv = (prefix: string): Record<string, string> => ({
    REDIS_SENTINELS: deployment().sentinelList,
    REDIS_SENTINEL_NAME: deployment().masterName,
    REDIS_PREFIX: prefix,
  });
  const newPrefix = () => `test:${randomBytes(4).toString('hex')}:`;

  /** The deployment as the app reads it from its environment: REDIS_REPLICA_ACKS defaults to 1 here. */
  const redisConfig = (prefix: string) => {
    const redis = loadConfig({ ...sentinelEnv(prefix), MFA_ENCRYPTION_KEYS: KEY }).redis;
    assert.ok(redis?.topology.kind === 'sentinel');
    assert.equal(redis.replicaAcks.replicas, 1);
    return redis;
  };

  it('npm run seed imports into the master the sentinels name', async () => {
    const prefix = newPrefix();
    const result = spawnSync(process.execPath, [join(ROOT, 'tools', 'seed.ts'), join(ROOT, 'seed', 'demo.json')], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', ...sentinelEnv(prefix), MFA_ENCRYPTION_KEYS: KEY, LOG_LEVEL: 'silent' },
      timeout: 30_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Imported 3 companies, \d+ users and 0 clients/);
    const master = await deployment().currentMaster();
    const client = createClient({ socket: master });
    await client.connect();
    try {
      assert.equal(await client.get(`${prefix}dir:email:alice@acme.test`), 'usr_demo_alice');
    } finally {
      await client.close();
    }
  });

  it('after the master is killed and the replica promoted, the app reconnects by itself, logins with MFA continue and the acknowledged enrollment is kept', async () => {
    const sentinels = deployment();
    await sentinels.restoreReplicas();
    const prefix = newPrefix();
    const redis = redisConfig(prefix);
    const stores = await redisStores(redis.topology, redis.replicaAcks, prefix, silent);
    const clock = manualClock();
    let running: RunningIdp | undefined;
    try {
      running = await startIdp({ kind: 'memory' }, { stores, clock, env: sentinelEnv(prefix) });
      const app = running;
      const browser = new Browser(app.issuer);
      assert.equal((await browser.get('/readyz')).status, 200);

      // A full login with password and authenticator app.
      await loginWithTotp(app, clock, 'erin@summit.test', 'erin-password-1', ERIN_SECRET);

      // An enrollment the replica confirmed (WAIT) before the app reported it done.
      const rp = await relyingParty(app.issuer, CLIENTS.web);
      const fred = new Browser(app.issuer);
      const request = await authorizationRequest(rp, CLIENTS.web);
      const { uid } = await passwordStep(fred, request.url, 'fred@summit.test', 'fred-password-1');
      const { secret: fredSecret, resume } = await enrollTotp(fred, uid, clock);
      const { callback } = await followRedirects(fred, resume);
      assert.ok(callback);
      assert.deepEqual((await exchangeCode(rp, callback, request)).claims()?.['amr'], ['pwd', 'otp', 'mfa']);

      // While the replica confirms nothing, an enrollment is never reported done: it could be lost.
      const gina = new Browser(app.issuer);
      const { uid: ginaUid } = await passwordStep(gina, (await authorizationRequest(rp, CLIENTS.web)).url, 'gina@harbor.test', 'gina-password-1');
      await gina.get(`/interaction/${ginaUid}/mfa/methods`);
      const ginaSecret = setupKeyIn(await gina.get(`/interaction/${ginaUid}/mfa/totp`));
      const master = await sentinels.currentMaster();
      const replica = sentinels.replicaOf(master);
      replica.pause();
      let unconfirmed: Page;
      try {
        unconfirmed = await gina.post(`/interaction/${ginaUid}/mfa/totp`, { code: await totpNow(ginaSecret, clock) });
      } finally {
        replica.resume();
      }
      assert.equal(unconfirmed.status, 503, 'not acknowledged without a replica’s confirmation');
      await sentinels.waitUntilSettled(master);

      const former = await sentinels.killMaster();
      assert.equal((await browser.get('/readyz')).status, 503, 'not ready while no master answers');
      // A login begun while no master answers waits for the new one (within REQUEST_TIMEOUT_SECONDS).
      clock.advance(30_000);
      const duringFailover = loginWithTotp(app, clock, 'erin@summit.test', 'erin-password-1', ERIN_SECRET);
      duringFailover.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      await sentinels.waitForFailover(former);
      await until(async () => (await browser.get('/readyz')).status === 200, 'the app to find the promoted master');
      await duringFailover;

      // Logins continue; fred is challenged with the authenticator he enrolled before the kill.
      clock.advance(30_000);
      await loginWithTotp(app, clock, 'fred@summit.test', 'fred-password-1', fredSecret);
    } finally {
      await running?.close();
      await stores.close();
    }
  });

  it('a WAIT cut off by a failover does not confirm the write: its master may have died with it', async () => {
    const sentinels = deployment();
    await sentinels.restoreReplicas();
    const prefix = newPrefix();
    const redis = redisConfig(prefix);
    const connection = await connectRedis(redis.topology, { replicas: 1, timeoutMs: 1000 }, silent);
    const master = await sentinels.currentMaster();
    const replica = sentinels.replicaOf(master);
    try {
      const key = `${prefix}mfa:{u:usr_test}:factors`;
      await connection.durableClient.hSet(key, 'version', '1');
      // The replica stalls, so the WAIT is still waiting on the master when it dies.
      replica.pause();
      const confirmation = connection.replicaAcks.confirm(key).then(
        () => 'confirmed',
        (err: unknown) => err,
      );
      await until(async () => /^blocked_clients:[1-9]/m.test(await sentinels.info(master, 'clients')), 'the WAIT to block on the master');
      const former = await sentinels.killMaster();
      replica.resume();
      await sentinels.waitForFailover(former);
      // node-redis sends the WAIT again to the promoted master, which has no replica: that answer
      // says nothing about the write, which only the dead master acknowledged.
      const outcome = await confirmation;
      assert.ok(outcome instanceof ReplicationUnconfirmed, `expected ReplicationUnconfirmed, got ${String(outcome)}`);
      assert.ok(isStoreUnavailable(outcome), 'answered 503');
    } finally {
      if (replica.running) replica.resume();
      await connection.close();
    }
  });
});

describe('Redis Sentinel errors', () => {
  it('node-redis giving up on the deployment is a store outage (503), not a 500', () => {
    // What its client throws after about 16 s without a master (measured), too long to wait for here.
    assert.ok(isStoreUnavailable(new Error('no valid master node')));
    assert.ok(isStoreUnavailable(new Error('None of the sentinels are available')));
    assert.ok(!isStoreUnavailable(new Error('no valid master node, or something else')));
  });
});

/** Password, then the authenticator app's current code, then the tokens: MFA in the ID token. */
async function loginWithTotp(app: RunningIdp, clock: ManualClock, email: string, password: string, secret: string): Promise<void> {
  const rp = await relyingParty(app.issuer, CLIENTS.web);
  const request = await authorizationRequest(rp, CLIENTS.web);
  const browser = new Browser(app.issuer);
  const { uid, page } = await passwordStep(browser, request.url, email, password);
  assert.match(page.body, /Enter Your 6-digit Verification Code/, `${email} is challenged`);
  const verified = await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(secret, clock) });
  const { callback, page: stopped } = await followRedirects(browser, verified);
  assert.ok(callback, `expected a code, stopped at ${stopped.status}: ${stopped.body.slice(0, 300)}`);
  const tokens = await exchangeCode(rp, callback, request);
  assert.deepEqual(tokens.claims()?.['amr'], ['pwd', 'otp', 'mfa']);
}

/** Polls a real process's state (no clock to move here), for up to 15 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
