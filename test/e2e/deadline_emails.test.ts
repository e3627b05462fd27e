import assert from 'node:assert/strict';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { ADMIN_SEED } from '../helpers/admin.ts';
import { onEachBackend, redisBackend } from '../helpers/backends.ts';
import { GatedSmtpServer } from '../helpers/gated_smtp.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';
import { AFFECTED, ANNOUNCED, berlin, deadlineEmailsSuite, deadlineMails, DEADLINE, each, moveTo, NOT_ENROLLED, REMINDER_1, REMINDER_7, ridgeSettings, saveAsAda, sorted, START } from './deadline_emails.suite.ts';

/** How long a claimed email is one instance's alone (notify/delivery.ts default, which the app keeps). */
const LEASE_MS = 5 * 60_000;

onEachBackend('the MFA deadline emails', deadlineEmailsSuite);

/** Instances sharing one Redis, as a deployment runs them: each sweeps and each delivers. */
describe('the MFA deadline emails from several instances on one Redis', () => {
  const redis = useRedis();
  let run = 0;
  let backend: Backend;
  let clock: ManualClock;
  const instances: RunningIdp[] = [];

  beforeEach(() => {
    backend = redisBackend(redis(), `${redis().prefix}${++run}:`);
    clock = manualClock(START);
  });
  afterEach(async () => {
    // Closing twice is harmless: a test may already have closed one to play a restart.
    await Promise.all(instances.splice(0).map((i) => i.close().catch(() => undefined)));
  });

  /** An instance on the shared Redis. Each loads the seed when it starts, as every one of a deployment would. */
  const instance = async (smtpUrl: string): Promise<RunningIdp> => {
    const started = await startIdp(backend, { clock, smtpUrl, env: { SEED_FILE: ADMIN_SEED } });
    instances.push(started);
    return started;
  };

  describe('two instances at once', () => {
    const smtp = new TestSmtpServer();
    before(() => smtp.start());
    after(() => smtp.stop());
    beforeEach(() => {
      smtp.received.length = 0;
    });

    it('the same save on both, both sweeping and both delivering: each member gets each email once', async () => {
      const [a, b] = [await instance(smtp.url), await instance(smtp.url)];

      // A double submit landing on both instances: whichever reads the old settings announces, under the same keys.
      const saves = await Promise.all([saveAsAda(a, ridgeSettings(DEADLINE)), saveAsAda(b, ridgeSettings(DEADLINE))]);
      assert.equal(saves[0].announced + saves[1].announced, 5);
      await Promise.all([a.idp.mail.drain(), b.idp.mail.drain()]);
      assert.deepEqual(sorted(deadlineMails(smtp.received)), each(AFFECTED, ANNOUNCED));

      for (const [at, expected] of [
        [berlin('2027-02-22T00:05:00'), 2],
        [berlin('2027-02-22T18:00:00'), 0],
        [berlin('2027-02-28T00:05:00'), 2],
        [berlin('2027-02-28T12:00:00'), 0],
      ] as const) {
        moveTo(clock, at);
        const queued = await Promise.all([a.idp.notices.sweep(), b.idp.notices.sweep(), a.idp.notices.sweep(), b.idp.notices.sweep()]);
        assert.equal(queued.reduce((sum, n) => sum + n, 0), expected, new Date(at).toISOString());
        await Promise.all([a.idp.mail.drain(), b.idp.mail.drain()]);
      }

      assert.deepEqual(sorted(deadlineMails(smtp.received)), sorted([...each(AFFECTED, ANNOUNCED), ...each(NOT_ENROLLED, REMINDER_7), ...each(NOT_ENROLLED, REMINDER_1)]));
      assert.deepEqual(smtp.to('ian@corp.test'), []);
    });

    it('emails one instance queued and never tried are sent by the other, once', async () => {
      const [a, b] = [await instance(smtp.url), await instance(smtp.url)];
      await a.idp.mail.stop(); // a's delivery is down: the save only queues
      assert.equal((await saveAsAda(a, ridgeSettings(DEADLINE))).announced, 5);
      await a.idp.mail.drain();
      assert.deepEqual(smtp.received, [], 'a sends nothing once stopped');

      await b.idp.mail.drain();
      assert.deepEqual(sorted(deadlineMails(smtp.received)), each(AFFECTED, ANNOUNCED));
    });
  });

  describe('a restart', () => {
    let smtp: GatedSmtpServer | undefined;
    let plain: TestSmtpServer | undefined;
    afterEach(async () => {
      await smtp?.stop();
      await plain?.stop();
      smtp = undefined;
      plain = undefined;
    });

    it('the announcement queued before the instance stopped is sent by the new one, once', async () => {
      plain = new TestSmtpServer();
      await plain.start();
      const old = await instance(plain.url);
      await old.idp.mail.stop(); // the process is going down: its delivery stopped first
      assert.equal((await saveAsAda(old, ridgeSettings(DEADLINE))).announced, 5);
      await old.close();
      assert.deepEqual(plain.received, []);

      const restarted = await instance(plain.url);
      await restarted.idp.mail.drain();
      assert.deepEqual(sorted(deadlineMails(plain.received)), each(AFFECTED, ANNOUNCED));
      // The restart loaded the seed again (no deadline): Ada saving March 1 again names the same keys.
      assert.equal((await saveAsAda(restarted, ridgeSettings(DEADLINE))).announced, 0);
      clock.advance(LEASE_MS);
      await restarted.idp.mail.drain();
      assert.equal(plain.received.length, 5);
    });

    it('stopped in the middle of sending: the new instance sends the rest once the old lease ends, none twice', async () => {
      smtp = new GatedSmtpServer();
      await smtp.start();
      const old = await instance(smtp.url);
      // Another email is on the wire when Ada saves, so one run of the old instance claims all five.
      await old.idp.mail.enqueueOnce('test:in-flight', { to: 'ops@ridge.test', subject: 'already on its way', text: 'x' });
      await smtp.waitForHeld();
      assert.equal((await saveAsAda(old, ridgeSettings(DEADLINE))).announced, 5);

      smtp.allow(3); // that email and two of the five go through; the third is on the wire when
      await smtp.waitForHeld(); // the process is told to stop
      const stopping = old.idp.mail.stop();
      smtp.open(); // the server takes the third; the run sends no further one
      await stopping;
      await old.close();
      assert.equal(deadlineMails(smtp.received).length, 3);

      const restarted = await instance(smtp.url);
      await restarted.idp.mail.drain();
      clock.advance(LEASE_MS - 1);
      await restarted.idp.mail.drain();
      assert.equal(deadlineMails(smtp.received).length, 3, 'the last two are leased to the old instance until its lease ends');
      clock.advance(1);
      await restarted.idp.mail.drain();
      clock.advance(24 * 3_600_000);
      await restarted.idp.mail.drain();

      assert.deepEqual(sorted(deadlineMails(smtp.received)), each(AFFECTED, ANNOUNCED));
      assert.equal(smtp.received.length, 6, 'and the other email once');
    });
  });
});
