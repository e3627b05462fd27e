import assert from 'node:assert/strict';
import { requireTool } from '../helpers/tools.ts';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { manualClock } from '../../lib/clock.ts';
import type { Page } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { LocalRedisCluster, type ClusterNode } from '../helpers/redis_cluster.ts';
import { CLIENTS, relyingParty } from '../helpers/rp.ts';
import {
  atCodeScreen,
  atRecoveryScreen,
  clusterSeed,
  enrollUpToCommit,
  expectStatus,
  factorsKey,
  lockKey,
  loginWithTotp,
  passwordOnly,
  Unavailable,
  type ClusterUser,
  type Site,
} from './cluster_world.ts';

/** REDIS_REPLICA_ACK_TIMEOUT_MS in these tests (the default): how long a durable write waits for its replica. */
const ACK_TIMEOUT_MS = 500;

/**
 * Kills masters of a local 3-master, 3-replica cluster under the app: logins go on once a replica has
 * taken over, no login ever skips MFA, and every write that must survive a failover (enrollment,
 * recovery-code use, MFA failure counts) and was acknowledged is still there on the promoted replica.
 * The app waits for a replica's confirmation (WAIT) before acknowledging those writes; with the
 * replica held back, the same scenario shows what is lost without it.
 */
describe('Redis Cluster failover', function () {
  this.timeout(180_000);
  let seed: ReturnType<typeof clusterSeed>;
  let cluster: LocalRedisCluster;
  const running: RunningIdp[] = [];

  before(async function () {
    requireTool(this, 'redis-server', 'redis-server');
    requireTool(this, 'redis-cli', 'redis-tools');
    seed = clusterSeed(12, 24);
    // Its own cluster: these tests kill and pause nodes.
    cluster = await LocalRedisCluster.start();
  });
  after(async () => {
    await cluster?.stop();
    if (seed) rmSync(dirname(seed.file), { recursive: true, force: true });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.close()));
    // Every test leaves the cluster as it found it: three masters, each with a replica.
    for (const node of cluster.nodes) {
      if (!node.running) {
        await node.start();
        await cluster.waitUntilReplicating(node);
      }
    }
    await cluster.waitUntilHealthy();
  });

  let run = 0;
  async function startSite(env: Record<string, string> = {}): Promise<{ site: Site; prefix: string }> {
    const prefix = `failover:${++run}:`;
    const clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
    const idp = await startIdp({ kind: 'redis', topology: { kind: 'cluster', nodes: cluster.seedNodes, credentials: {} }, prefix }, { clock, env: { SEED_FILE: seed.file, ...env } });
    running.push(idp);
    return { site: { issuer: idp.issuer, rp: await relyingParty(idp.issuer, CLIENTS.web), clock }, prefix };
  }

  /** The users (of `among`) whose keys live on `master`. */
  async function usersOn(master: ClusterNode, among: ClusterUser[], prefix: string): Promise<ClusterUser[]> {
    const on: ClusterUser[] = [];
    for (const user of among) if ((await cluster.masterOf(factorsKey(prefix, user.id))).port === master.port) on.push(user);
    return on;
  }

  /** A field of a hash, read on the node that is the key's master now (after a failover: the promoted replica). */
  async function fieldNow(key: string, field: string): Promise<string | null> {
    return (await (await cluster.masterOf(key)).command(['HGET', key, field])) as string | null;
  }

  it('a stream of logins goes on once a replica has replaced the killed master, and no login ever skips MFA', async () => {
    const { site, prefix } = await startSite();
    const victim = await cluster.masterOf(factorsKey(prefix, seed.enrolled[0]!.id));
    const onVictim = await usersOn(victim, seed.enrolled, prefix);
    const tally = { ok: 0, unavailable: 0 };
    /** Every enrolled user logs in once, all at once, in a new 30-second step (each TOTP code works once). */
    const round = async (): Promise<{ ok: number; unavailable: number }> => {
      site.clock.advance(30_000);
      const results = await Promise.allSettled(seed.enrolled.map((user) => loginWithTotp(site, user)));
      const counts = { ok: 0, unavailable: 0 };
      for (const result of results) {
        if (result.status === 'fulfilled') counts.ok++;
        else if (result.reason instanceof Unavailable) counts.unavailable++;
        // MFA skipped, a 500, a wrong page: the test fails here.
        else throw result.reason;
      }
      tally.ok += counts.ok;
      tally.unavailable += counts.unavailable;
      return counts;
    };

    for (let i = 0; i < 2; i++) assert.deepEqual(await round(), { ok: seed.enrolled.length, unavailable: 0 }, 'before the kill');

    const inFlight = round();
    await victim.kill();
    await inFlight;
    // Logins go on being tried while the cluster fails over (503s allowed, nothing else).
    let healthy = false;
    const takeover = cluster.waitUntilHealthy().then(() => (healthy = true));
    while (!healthy) {
      if ((await round()).unavailable > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await takeover;
    const promoted = await cluster.masterOf(factorsKey(prefix, onVictim[0]!.id));
    assert.notEqual(promoted.port, victim.port, 'a replica took over');

    // The app finds the new master within seconds (it re-reads the slot map while a node is down).
    const settled = Date.now();
    while ((await round()).unavailable > 0) {
      assert.ok(Date.now() - settled < 10_000, 'logins still fail 10 s after the replica took over');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // From then on every login works, those of the users whose keys were on the killed master included.
    const recoveredMs = Date.now() - settled;
    for (let i = 0; i < 3; i++) assert.deepEqual(await round(), { ok: seed.enrolled.length, unavailable: 0 }, 'after the failover');
    assert.ok(onVictim.length > 0 && tally.ok > 0);
    console.log(`      (${tally.ok} logins, ${tally.unavailable} answered 503 during the failover, all logins worked ${recoveredMs} ms after the replica took over; ${onVictim.length} users had their keys on the killed master)`);

    // The promoted replica has no replica of its own until the old master returns: durable writes
    // are not held up for one that cannot come (a failover would promote nobody).
    const [user] = await usersOn(promoted, seed.fresh, prefix);
    assert.ok(user, 'a user to enroll on the promoted master');
    const enrollment = await enrollUpToCommit(site, user);
    const started = performance.now();
    expectStatus(await enrollment.commit(), [303], 'the enrollment on a master without a replica');
    assert.ok(performance.now() - started < ACK_TIMEOUT_MS + 1500, `the enrollment took ${Math.round(performance.now() - started)} ms`);
    assert.notEqual(await fieldNow(factorsKey(prefix, user.id), 'totp'), null, 'the factor is stored');
  });

  it('an enrollment, a recovery-code use and failure counts acknowledged just before their master dies are on the promoted replica', async () => {
    const { site, prefix } = await startSite();
    const [counted] = seed.enrolled;
    const master = await cluster.masterOf(factorsKey(prefix, counted!.id));
    const [enrolling, recovering] = await usersOn(master, seed.fresh, prefix);
    assert.ok(counted && enrolling && recovering, 'users on the master');

    const first = await enrollUpToCommit(site, recovering);
    expectStatus(await first.commit(), [303], 'the first enrollment');
    const recoveryCode = await first.finish();
    site.clock.advance(30_000);

    // The acknowledgements: an enrollment committed, a recovery code used, three failed codes.
    const enrollment = await enrollUpToCommit(site, enrolling);
    expectStatus(await enrollment.commit(), [303], 'the enrollment');
    expectStatus(await (await atRecoveryScreen(site, recovering)).use(recoveryCode), [303], 'the recovery code');
    const guessing = await atCodeScreen(site, counted);
    for (let i = 0; i < 3; i++) expectStatus(await guessing.guess('000000'), [401], 'a wrong code');
    // …and the master dies at once.
    await master.kill();
    await cluster.waitUntilHealthy();
    assert.notEqual((await cluster.masterOf(factorsKey(prefix, counted.id))).port, master.port);

    assert.notEqual(await fieldNow(factorsKey(prefix, enrolling.id), 'totp'), null, 'the enrollment survived');
    assert.equal(await fieldNow(factorsKey(prefix, recovering.id), 'recovery'), null, 'the recovery code stays used');
    assert.equal(await fieldNow(lockKey(prefix, counted.id), 'failures'), '3', 'the failures stay counted');

    // And the app, on the promoted replica, agrees.
    await eventually(() => {
      site.clock.advance(30_000); // a new code each try: an attempt cut short may have used one
      return loginWithTotp(site, { ...enrolling, secret: enrollment.secret });
    });
    // The recovery removed the lost authenticator: the next sign-in sets one up, with no code screen.
    await eventually(async () => {
      const { page } = await passwordOnly(site, recovering);
      assert.doesNotMatch(page.body, /\/mfa\/(verify|recovery)"/, 'no code screen after the recovery');
      assert.match(page.body, /\/mfa\/methods/, 'the enrollment');
    });
  });

  /**
   * A replica that has not received the writes: paused (SIGSTOP), with enough data queued before
   * them that they are still in the master's own output buffer, not in the replica's socket (which a
   * resumed replica would still read). Then the master dies and the replica takes over.
   */
  async function laggingReplicaFailover(env: Record<string, string>): Promise<Record<'enrollment' | 'recoveryCode' | 'failure', { page: Page; ms: number; survived: boolean }>> {
    const { site, prefix } = await startSite(env);
    const [counted] = seed.enrolled;
    const master = await cluster.masterOf(factorsKey(prefix, counted!.id));
    const [enrolling, recovering] = await usersOn(master, seed.fresh, prefix);
    assert.ok(counted && enrolling && recovering, 'users on the master');
    const [replica] = await cluster.replicasOf(master);
    assert.ok(replica);

    const first = await enrollUpToCommit(site, recovering);
    expectStatus(await first.commit(), [303], 'the first enrollment');
    const recoveryCode = await first.finish();
    site.clock.advance(30_000);
    const enrollment = await enrollUpToCommit(site, enrolling);
    const recovery = await atRecoveryScreen(site, recovering);
    const guessing = await atCodeScreen(site, counted);
    expectStatus(await guessing.guess('000000'), [401], 'a first wrong code, with the replica up');

    replica.pause();
    try {
      await backUpReplication(master, `${prefix}filler:{u:${counted.id}}`);
      const timed = async (write: () => Promise<Page>): Promise<{ page: Page; ms: number }> => {
        const started = performance.now();
        const page = await write();
        return { page, ms: performance.now() - started };
      };
      const writes = { enrollment: await timed(enrollment.commit), recoveryCode: await timed(() => recovery.use(recoveryCode)), failure: await timed(() => guessing.guess('000000')) };
      assert.ok((await replicationBacklog(master)) > 1_000_000, 'the writes are still on the master alone');
      await master.kill();
      replica.resume();
      await cluster.waitUntilHealthy();
      assert.equal((await cluster.masterOf(factorsKey(prefix, counted.id))).port, replica.port, 'the lagging replica took over');
      return {
        enrollment: { ...writes.enrollment, survived: (await fieldNow(factorsKey(prefix, enrolling.id), 'totp')) !== null },
        recoveryCode: { ...writes.recoveryCode, survived: (await fieldNow(factorsKey(prefix, recovering.id), 'recovery')) === null },
        failure: { ...writes.failure, survived: (await fieldNow(lockKey(prefix, counted.id), 'failures')) === '2' },
      };
    } finally {
      if (replica.running) replica.resume();
    }
  }

  it('with its replica lagging, a durable write answers 503 within the ack timeout, and the failover that follows loses nothing acknowledged', async () => {
    const writes = await laggingReplicaFailover({ REDIS_REPLICA_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS) });
    for (const [what, { page, ms, survived }] of Object.entries(writes)) {
      const acknowledged = page.status !== 503;
      assert.ok(!acknowledged || survived, `${what} was acknowledged (${page.status}) and lost in the failover`);
      assert.equal(page.status, 503, `${what}: a write its replica has not confirmed is not acknowledged`);
      assert.ok(ms < ACK_TIMEOUT_MS + 1500, `${what} answered after ${Math.round(ms)} ms`);
    }
  });

  it('without the confirmation (REDIS_REPLICA_ACKS=0) the same writes are acknowledged and then lost: a used recovery code works again', async () => {
    const writes = await laggingReplicaFailover({ REDIS_REPLICA_ACKS: '0' });
    assert.deepEqual(
      Object.fromEntries(Object.entries(writes).map(([what, { page, survived }]) => [what, { status: page.status, survived }])),
      { enrollment: { status: 303, survived: false }, recoveryCode: { status: 303, survived: false }, failure: { status: 401, survived: false } },
    );
  });
});

/** How much of the replication stream the master still holds for its replica (bytes not yet sent). */
async function replicationBacklog(master: ClusterNode): Promise<number> {
  const list = String(await master.command(['CLIENT', 'LIST', 'TYPE', 'replica']));
  return Number(/omem=(\d+)/.exec(list)?.[1] ?? 0);
}

/** Writes filler in `tag`'s slot until the paused replica's socket buffers are full and the master holds the rest. */
async function backUpReplication(master: ClusterNode, tag: string): Promise<void> {
  const chunk = 'x'.repeat(4 * 1024 * 1024);
  for (let i = 0; (await replicationBacklog(master)) < 8 * 1024 * 1024; i++) {
    assert.ok(i < 40, 'the replication stream does not back up');
    await master.command(['SET', `${tag}:${i}`, chunk, 'EX', '600']);
  }
}

/** Retries `attempt` while it meets a 503 (the app still finding the new master), for up to 10 s. */
async function eventually(attempt: () => Promise<void>): Promise<void> {
  for (const started = Date.now(); ; ) {
    try {
      await attempt();
      return;
    } catch (err) {
      if (!(err instanceof Unavailable) || Date.now() - started > 10_000) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
