import assert from 'node:assert/strict';
import type { MailOutbox, OutgoingMail } from '../../notify/outbox.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const LEASE_MS = 60_000;
const MAIL: OutgoingMail = { to: 'josé@bücher.example', subject: 'Two-factor authentication is on', text: 'Hello José,\n\nAn authenticator app was set up.' };
const mailNumber = (n: number): OutgoingMail => ({ to: 'pat@acme.test', subject: `mail ${n}`, text: `body ${n}` });

/** What every MailOutbox must do (the promises of notify/outbox.ts). Run against each implementation. */
export function mailOutboxContract(makeOutbox: () => Promise<MailOutbox> | MailOutbox): void {
  let outbox: MailOutbox;
  beforeEach(async () => {
    outbox = await makeOutbox();
  });

  it('a job is due at once and comes back as it was queued, with no attempts', async () => {
    assert.equal(await outbox.enqueueOnce('k1', MAIL), true);
    const [job, ...others] = await outbox.claimDue(NOW, LEASE_MS, 10);
    assert.deepEqual(others, []);
    assert.ok(job);
    assert.deepEqual(job.mail, MAIL);
    assert.equal(job.attempts, 0);
  });

  it('enqueueOnce twice with one key queues one job: the second is refused, its mail ignored', async () => {
    assert.equal(await outbox.enqueueOnce('security:usr_1:mfa.enrolled:2026-11-23', MAIL), true);
    assert.equal(await outbox.enqueueOnce('security:usr_1:mfa.enrolled:2026-11-23', mailNumber(2)), false);
    const jobs = await outbox.claimDue(NOW, LEASE_MS, 10);
    assert.deepEqual(
      jobs.map((j) => j.mail),
      [MAIL],
    );
  });

  it('the key stays taken after the job is sent (exactly-once enqueue, not once per pending job)', async () => {
    await outbox.enqueueOnce('k1', MAIL);
    const [job] = await outbox.claimDue(NOW, LEASE_MS, 10);
    await outbox.complete(job!.id);
    assert.equal(await outbox.enqueueOnce('k1', MAIL), false);
    assert.deepEqual(await outbox.claimDue(NOW + LEASE_MS, LEASE_MS, 10), []);
  });

  it('of parallel enqueues of one key exactly one is queued', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => outbox.enqueueOnce('same', mailNumber(i))));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal((await outbox.claimDue(NOW, LEASE_MS, 100)).length, 1);
  });

  it('different keys are different jobs, claimed in enqueue order, at most `max` at a time', async () => {
    for (const n of [1, 2, 3]) assert.equal(await outbox.enqueueOnce(`k${n}`, mailNumber(n)), true);
    const first = await outbox.claimDue(NOW, LEASE_MS, 2);
    const second = await outbox.claimDue(NOW, LEASE_MS, 2);
    assert.deepEqual(
      [...first, ...second].map((j) => j.mail.subject),
      ['mail 1', 'mail 2', 'mail 3'],
    );
    assert.equal(new Set([...first, ...second].map((j) => j.id)).size, 3);
  });

  it('a claim leases the job: no second claim gets it before the lease ends, the next one after', async () => {
    await outbox.enqueueOnce('k1', MAIL);
    const [job] = await outbox.claimDue(NOW, LEASE_MS, 10);
    assert.ok(job);
    assert.deepEqual(await outbox.claimDue(NOW, LEASE_MS, 10), []);
    assert.deepEqual(await outbox.claimDue(NOW + LEASE_MS - 1, LEASE_MS, 10), []);
    const [again] = await outbox.claimDue(NOW + LEASE_MS, LEASE_MS, 10);
    assert.equal(again?.id, job.id, 'an unacknowledged job comes back after its lease');
    assert.equal(again.attempts, 0, 'a lost lease is not a failed send');
  });

  it('parallel claims share the jobs out: each job to exactly one claimer', async () => {
    for (let n = 0; n < 10; n++) await outbox.enqueueOnce(`k${n}`, mailNumber(n));
    const claims = await Promise.all(Array.from({ length: 5 }, () => outbox.claimDue(NOW, LEASE_MS, 3)));
    const ids = claims.flat().map((j) => j.id);
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, 10);
  });

  it('complete removes the job for good', async () => {
    await outbox.enqueueOnce('k1', MAIL);
    const [job] = await outbox.claimDue(NOW, LEASE_MS, 10);
    await outbox.complete(job!.id);
    assert.deepEqual(await outbox.claimDue(NOW + 10 * LEASE_MS, LEASE_MS, 10), []);
    await outbox.complete(job!.id); // twice is no error
  });

  it('retryAt makes the job due at that time with its attempts', async () => {
    await outbox.enqueueOnce('k1', MAIL);
    const [job] = await outbox.claimDue(NOW, LEASE_MS, 10);
    await outbox.retryAt(job!.id, NOW + 30_000, 1);
    assert.deepEqual(await outbox.claimDue(NOW + 29_999, LEASE_MS, 10), []);
    const [retried] = await outbox.claimDue(NOW + 30_000, LEASE_MS, 10);
    assert.equal(retried?.id, job!.id);
    assert.equal(retried.attempts, 1);
    assert.deepEqual(retried.mail, MAIL);
  });

  it('retryAt can bring a job forward, before its lease ends', async () => {
    await outbox.enqueueOnce('k1', MAIL);
    const [job] = await outbox.claimDue(NOW, LEASE_MS, 10);
    await outbox.retryAt(job!.id, NOW + 1000, 1);
    assert.equal((await outbox.claimDue(NOW + 1000, LEASE_MS, 10)).length, 1);
  });

  it('retryAt of a completed job does not bring it back (a worker whose lease ran out)', async () => {
    await outbox.enqueueOnce('k1', MAIL);
    const [job] = await outbox.claimDue(NOW, LEASE_MS, 10);
    await outbox.complete(job!.id);
    await outbox.retryAt(job!.id, NOW + 1000, 1);
    assert.deepEqual(await outbox.claimDue(NOW + 10 * LEASE_MS, LEASE_MS, 10), []);
  });

  it('stats: an empty outbox has depth 0 and no oldest job', async () => {
    assert.deepEqual(await outbox.stats(), { depth: 0, oldestQueuedAtMs: undefined });
  });

  it('stats: the depth counts every job not yet completed, leased and retried ones too; the oldest is the first queued', async () => {
    await outbox.enqueueOnce('k1', mailNumber(1), { queuedAtMs: NOW - 60_000 });
    await outbox.enqueueOnce('k2', mailNumber(2), { queuedAtMs: NOW - 1000 });
    await outbox.enqueueOnce('k3', mailNumber(3), { queuedAtMs: NOW });
    assert.equal(await outbox.enqueueOnce('k3', mailNumber(3), { queuedAtMs: NOW + 5 }), false);
    assert.deepEqual(await outbox.stats(), { depth: 3, oldestQueuedAtMs: NOW - 60_000 });

    const [first, second] = await outbox.claimDue(NOW, LEASE_MS, 2);
    await outbox.retryAt(second!.id, NOW + 30_000, 1);
    assert.deepEqual(await outbox.stats(), { depth: 3, oldestQueuedAtMs: NOW - 60_000 }, 'a lease or a retry does not make a job younger');

    await outbox.complete(first!.id);
    assert.deepEqual(await outbox.stats(), { depth: 2, oldestQueuedAtMs: NOW - 1000 });
    await outbox.complete(second!.id);
    const [third] = await outbox.claimDue(NOW + LEASE_MS, LEASE_MS, 10);
    await outbox.complete(third!.id);
    assert.deepEqual(await outbox.stats(), { depth: 0, oldestQueuedAtMs: undefined });
  });

  it('jobs due earlier are claimed first', async () => {
    await outbox.enqueueOnce('k1', mailNumber(1));
    await outbox.enqueueOnce('k2', mailNumber(2));
    const jobs = await outbox.claimDue(NOW, LEASE_MS, 10);
    await outbox.retryAt(jobs[0]!.id, NOW + 2000, 1);
    await outbox.retryAt(jobs[1]!.id, NOW + 1000, 1);
    assert.deepEqual(
      (await outbox.claimDue(NOW + 5000, LEASE_MS, 1)).map((j) => j.mail.subject),
      ['mail 2'],
    );
  });
}
