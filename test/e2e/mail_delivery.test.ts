import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { pino } from 'pino';
import { smtpMailer } from '../../adapters/mail.ts';
import { MemoryMailOutbox } from '../../adapters/memory/mail_outbox.ts';
import { RedisMailOutbox } from '../../adapters/redis/mail_outbox.ts';
import { manualClock } from '../../lib/clock.ts';
import { createMetrics } from '../../lib/metrics.ts';
import { MailDelivery } from '../../notify/delivery.ts';
import type { MailOutbox } from '../../notify/outbox.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, passwordStep } from '../helpers/mfa.ts';
import { freePort } from '../helpers/redis_server.ts';
import { openRedis, type TestRedis as RedisClient } from '../helpers/redis_access.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

const START = Date.UTC(2026, 10, 23, 12, 0, 0);
const LEASE_MS = 60_000;
const FIRST_RETRY_MS = 30_000;
const FROM = 'Groundwork ID <no-reply@localhost>';
const silent = pino({ level: 'silent' });
const mailNumber = (n: number) => ({ to: 'pat@acme.test', subject: `mail ${n}`, text: `body ${n}` });
const subjects = (smtp: TestSmtpServer) => smtp.received.map((m) => m.subject).sort();

/** An SMTP URL where nothing listens: every send fails at once (connection refused). */
async function smtpDownUrl(): Promise<{ url: string; port: number }> {
  const port = await freePort();
  return { url: `smtp://127.0.0.1:${port}`, port };
}

/**
 * Security emails leave through the outbox: an SMTP outage delays them and loses none, and
 * instances sharing a store send each email once.
 */
onEachBackend('a security email while SMTP is down', (backend) => {
  let smtp: TestSmtpServer;
  let running: RunningIdp | undefined;
  afterEach(async () => {
    await running?.close();
    await smtp.stop();
  });

  it('the sign-in goes on; once SMTP is back and the backoff has passed, each email arrives exactly once', async () => {
    const clock = manualClock(START);
    const down = await smtpDownUrl();
    smtp = new TestSmtpServer();
    running = await startIdp(backend(), { clock, smtpUrl: down.url });
    const rp = await relyingParty(running.issuer, CLIENTS.web);

    const browser = new Browser(running.issuer);
    const { uid } = await passwordStep(browser, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    const { resume } = await enrollTotp(browser, uid, clock);
    assert.ok((await followRedirects(browser, resume)).callback, 'the enrollment succeeded without SMTP');
    await running.idp.mail.drain(); // tried now, failed, rescheduled

    await smtp.start(down.port);
    await running.idp.mail.drain();
    assert.deepEqual(smtp.received, [], 'nothing is due before the backoff has passed');

    clock.advance(FIRST_RETRY_MS);
    await running.idp.mail.drain();
    assert.equal(smtp.to('fred@summit.test', 'Two-factor authentication is on').length, 1);
    assert.equal(smtp.to('fred@summit.test', 'new recovery code').length, 1);

    clock.advance(24 * 3_600_000);
    await running.idp.mail.drain();
    assert.equal(smtp.received.length, 2, 'a sent email is never sent again');
  });
});

describe('mail delivery on one Redis outbox', () => {
  const redis = useRedis();
  const smtp = new TestSmtpServer();
  const clients: RedisClient[] = [];
  const deliveries: MailDelivery[] = [];
  let run = 0;
  let prefix = '';

  before(() => smtp.start());
  after(() => smtp.stop());
  beforeEach(() => {
    smtp.received.length = 0;
    prefix = `${redis().prefix}${++run}:`;
  });
  afterEach(async () => {
    await Promise.all(deliveries.splice(0).map((d) => d.stop()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  /** An outbox on its own connection, as another instance of the app would have. */
  const outbox = async (): Promise<MailOutbox> => {
    const client = await openRedis(redis().topology);
    clients.push(client);
    return new RedisMailOutbox(client, prefix);
  };
  const delivery = (deps: { outbox: MailOutbox; clock: () => number; smtpUrl?: string; batchSize?: number }): MailDelivery => {
    const d = new MailDelivery({ outbox: deps.outbox, mailer: smtpMailer(deps.smtpUrl ?? smtp.url, FROM), clock: deps.clock, logger: silent, leaseMs: LEASE_MS, batchSize: deps.batchSize });
    deliveries.push(d);
    return d;
  };
  /** Runs until a run sends nothing; how many it sent in all. */
  const sendAll = async (d: MailDelivery): Promise<number> => {
    let total = 0;
    for (let sent = await d.runOnce(); sent > 0; sent = await d.runOnce()) total += sent;
    return total;
  };

  it('two instances running at once send each job once', async () => {
    const clock = manualClock(START);
    const [a, b] = [delivery({ outbox: await outbox(), clock, batchSize: 3 }), delivery({ outbox: await outbox(), clock, batchSize: 3 })];
    for (let n = 0; n < 30; n++) assert.equal(await a.enqueueOnce(`job:${n}`, mailNumber(n)), true);
    const [sentByA, sentByB] = await Promise.all([sendAll(a), sendAll(b)]);
    assert.equal(sentByA + sentByB, 30);
    assert.equal(smtp.received.length, 30);
    assert.equal(new Set(subjects(smtp)).size, 30, 'no email twice');
  });

  it('both instances enqueueing the same key, started, send it once', async () => {
    const clock = manualClock(START);
    const [a, b] = [delivery({ outbox: await outbox(), clock }), delivery({ outbox: await outbox(), clock })];
    a.start(3_600_000);
    b.start(3_600_000);
    const queued = await Promise.all([a.enqueueOnce('deadline:acme:usr_1', mailNumber(1)), b.enqueueOnce('deadline:acme:usr_1', mailNumber(1))]);
    assert.deepEqual(queued.sort(), [false, true]);
    await smtp.waitFor(1); // the enqueue kicked a run: no tick, no drain needed
    await Promise.all([a.drain(), b.drain()]);
    assert.deepEqual(subjects(smtp), ['mail 1']);
  });

  it('a restart: a new instance on the same store sends what the old one left, queued or failed', async () => {
    const clock = manualClock(START);
    const down = await smtpDownUrl();
    const old = delivery({ outbox: await outbox(), clock, smtpUrl: down.url });
    await old.enqueueOnce('k1', mailNumber(1));
    await old.enqueueOnce('k2', mailNumber(2));
    await old.drain(); // both failed, due again in 30 s
    await old.enqueueOnce('k3', mailNumber(3)); // never tried
    await old.stop();

    const restarted = delivery({ outbox: await outbox(), clock });
    assert.equal(await restarted.runOnce(), 1, 'the job never tried is due at once');
    clock.advance(FIRST_RETRY_MS);
    assert.equal(await sendAll(restarted), 2, 'the failed ones once their retry is due');
    assert.deepEqual(subjects(smtp), ['mail 1', 'mail 2', 'mail 3']);
  });

  it('a job claimed by an instance that crashed before sending is sent after the lease, once', async () => {
    const clock = manualClock(START);
    const store = await outbox();
    await store.enqueueOnce('k1', mailNumber(1));
    assert.equal((await store.claimDue(clock(), LEASE_MS, 10)).length, 1, 'the instance that crashed');

    const survivor = delivery({ outbox: await outbox(), clock });
    await survivor.drain();
    clock.advance(LEASE_MS - 1);
    await survivor.drain();
    assert.deepEqual(smtp.received, [], 'not while the lease holds');
    clock.advance(1);
    await survivor.drain();
    clock.advance(10 * LEASE_MS);
    await survivor.drain();
    assert.deepEqual(subjects(smtp), ['mail 1']);
  });

  it('a crash after sending, before the job was completed, sends it once more after the lease (at-least-once)', async () => {
    const clock = manualClock(START);
    const store = await outbox();
    await store.enqueueOnce('k1', mailNumber(1));
    const [claimed] = await store.claimDue(clock(), LEASE_MS, 10);
    await smtpMailer(smtp.url, FROM).send(claimed!.mail); // and the instance dies here

    const survivor = delivery({ outbox: await outbox(), clock });
    clock.advance(LEASE_MS);
    await survivor.drain();
    clock.advance(10 * LEASE_MS);
    await survivor.drain();
    assert.deepEqual(subjects(smtp), ['mail 1', 'mail 1']);
  });

  it('stop() lets the run in progress finish and leaves the rest to the lease', async () => {
    const clock = manualClock(START);
    const d = delivery({ outbox: await outbox(), clock, batchSize: 2 });
    for (let n = 0; n < 4; n++) await d.enqueueOnce(`k${n}`, mailNumber(n));
    const running = d.runOnce();
    await smtp.waitFor(1); // the first send has reached the server: the run is under way
    await d.stop();
    assert.equal(await running, 1, 'the send under way finished; the next claimed job was left');
    assert.equal(await d.runOnce(), 0, 'a stopped instance claims nothing');
    const next = delivery({ outbox: await outbox(), clock });
    clock.advance(LEASE_MS);
    assert.equal(await sendAll(next), 3);
    assert.equal(new Set(subjects(smtp)).size, 4);
  });
});

describe('mail delivery gives up', () => {
  it('after about three days of failures: logged at error, counted, and the job removed', async () => {
    const clock = manualClock(START);
    const lines: { level: number; msg: string; attempts?: number; jobId?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const metrics = createMetrics();
    const outbox = new MemoryMailOutbox(clock);
    const d = new MailDelivery({ outbox, mailer: smtpMailer((await smtpDownUrl()).url, FROM), clock, logger, metrics });
    await d.enqueueOnce('k1', mailNumber(1));

    for (let hour = 0; hour <= 80; hour++) {
      await d.drain();
      clock.advance(3_600_000);
    }
    const givenUp = lines.filter((l) => l.msg.startsWith('email given up'));
    assert.equal(givenUp.length, 1);
    assert.equal(givenUp[0]!.level, 50, 'error');
    assert.equal(givenUp[0]!.attempts, 79);
    assert.equal(lines.filter((l) => l.msg === 'email not sent, will retry').length, 78);
    assert.ok(!JSON.stringify(lines).includes('pat@acme.test'), 'the log names the job, not the address');
    const counted = await metrics.registry.getSingleMetricAsString('idp_mail_deliveries_total');
    assert.match(counted, /idp_mail_deliveries_total\{outcome="given_up"\} 1/);
    assert.match(counted, /idp_mail_deliveries_total\{outcome="retry"\} 78/);
    assert.deepEqual(await outbox.claimDue(clock() + 86_400_000, LEASE_MS, 10), [], 'gone');
    assert.equal(await outbox.enqueueOnce('k1', mailNumber(1)), false, 'and its key stays taken');
  });
});

describe('mail delivery and process exit', () => {
  it('an app that queued email and was closed leaves nothing that keeps the process alive', async () => {
    const script = `
      import { createIdp } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'app.ts'))};
      import { loadConfig } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'config', 'config.ts'))};
      import { pino } from 'pino';
      const idp = await createIdp(loadConfig({ NODE_ENV: 'test', ISSUER: 'http://127.0.0.1:1', LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }) });
      await idp.mail.enqueueOnce('k', { to: 'pat@acme.test', subject: 's', text: 't' });
      await idp.close();
      process.stdout.write('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(killer);
    assert.equal(code, 0, `the process did not exit on its own: ${out}`);
    assert.equal(out, 'closed');
  });
});
