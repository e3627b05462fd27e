import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Mailer } from './mailer.ts';
import type { ClaimedMail, MailOutbox, MailQueue, OutgoingMail } from './outbox.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retry_policy.ts';

export interface MailDeliveryDeps {
  outbox: MailOutbox;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  metrics?: Pick<Metrics, 'mailDeliveries'> | undefined;
  /**
   * How long a claimed job is this worker's alone. Longer than a send takes, or another instance
   * sends it too; a crashed worker's jobs wait this long. Default 5 minutes.
   */
  leaseMs?: number | undefined;
  /** Jobs claimed per round trip to the store. Default 20. */
  batchSize?: number | undefined;
  retry?: RetryPolicy | undefined;
}

const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_BATCH_SIZE = 20;

/**
 * Sends what the outbox holds: claims due jobs under a lease, sends each, deletes it when sent and
 * reschedules it with backoff when not. Any number of instances may share one outbox. It is also
 * the MailQueue the app hands out: an enqueue goes to the outbox and, while started, kicks a run,
 * so an email leaves within moments rather than at the next tick.
 *
 * Runs of one instance never overlap (each waits for the previous), so a kick during a run is a
 * fresh claim after it, and `drain` can wait for everything this instance has started.
 */
export class MailDelivery implements MailQueue {
  readonly #outbox: MailOutbox;
  readonly #mailer: Mailer;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #metrics: Pick<Metrics, 'mailDeliveries'> | undefined;
  readonly #leaseMs: number;
  readonly #batchSize: number;
  readonly #retry: RetryPolicy;
  /** The last run queued: the next one starts when it settles. */
  #tail: Promise<unknown> = Promise.resolve();
  /** A kicked run is queued and has not claimed yet: further kicks are covered by it. */
  #kickQueued = false;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopped = false;

  constructor(deps: MailDeliveryDeps) {
    this.#outbox = deps.outbox;
    this.#mailer = deps.mailer;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#metrics = deps.metrics;
    this.#leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
    this.#batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#retry = deps.retry ?? DEFAULT_RETRY_POLICY;
  }

  async enqueueOnce(key: string, mail: OutgoingMail, options?: { retentionSeconds?: number }): Promise<boolean> {
    const queued = await this.#outbox.enqueueOnce(key, mail, { ...options, queuedAtMs: this.#clock() });
    if (queued) this.#kick();
    return queued;
  }

  /** Claims and sends what is due now; resolves with how many were sent. Waits for a run in progress first. */
  async runOnce(): Promise<number> {
    return (await this.#queueRun()).sent;
  }

  /**
   * Runs until nothing is due now, after whatever run is in progress (tests: "everything queued so
   * far has been tried"). Does not move the clock, so a job waiting for its retry stays queued; nor
   * does it wait for jobs another instance holds.
   */
  async drain(): Promise<void> {
    while ((await this.#queueRun()).claimed > 0) {
      // Claimed jobs were sent, rescheduled or given up: claim again until none are due.
    }
  }

  /** Runs every `intervalMs` (the timer does not keep the process alive) and after each enqueue. */
  start(intervalMs: number): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#timer = setInterval(() => {
      this.#kick();
    }, intervalMs);
    this.#timer.unref();
    this.#kick();
  }

  /**
   * Stops the timer and the kicks, and waits for the run in progress. That run sends no further
   * job after this: jobs it claimed and did not reach are sent by any instance once their lease ends.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#tail;
  }

  #kick(): void {
    if (!this.#started || this.#stopped || this.#kickQueued) return;
    this.#kickQueued = true;
    this.#queueRun(true).catch((err: unknown) => {
      // The store is unreachable: the next tick tries again, nothing is lost.
      this.#logger.warn({ err }, 'email delivery run failed');
    });
  }

  #queueRun(kicked = false): Promise<{ claimed: number; sent: number }> {
    const run = this.#tail.then(() => {
      if (kicked) this.#kickQueued = false;
      return this.#run();
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #run(): Promise<{ claimed: number; sent: number }> {
    // Once stopped, claim nothing: a claimed job would wait out its lease.
    if (this.#stopped) return { claimed: 0, sent: 0 };
    const jobs = await this.#outbox.claimDue(this.#clock(), this.#leaseMs, this.#batchSize);
    let sent = 0;
    for (const job of jobs) {
      if (this.#stopped) break;
      if (await this.#deliver(job)) sent++;
    }
    return { claimed: jobs.length, sent };
  }

  /** True when sent. A store failure here propagates: the job's lease runs out and it is tried again. */
  async #deliver(job: ClaimedMail): Promise<boolean> {
    try {
      await this.#mailer.send(job.mail);
    } catch (err) {
      await this.#failed(job, err);
      return false;
    }
    // A crash between the send and this line sends the email again after the lease (at-least-once).
    await this.#outbox.complete(job.id);
    this.#metrics?.mailDeliveries.inc({ outcome: 'sent' });
    return true;
  }

  async #failed(job: ClaimedMail, err: unknown): Promise<void> {
    const attempts = job.attempts + 1;
    const delay = retryDelayMs(attempts, this.#retry);
    if (delay === undefined) {
      await this.#outbox.complete(job.id);
      this.#metrics?.mailDeliveries.inc({ outcome: 'given_up' });
      this.#logger.error({ err, jobId: job.id, attempts }, 'email given up: not sent after retrying for days');
      return;
    }
    await this.#outbox.retryAt(job.id, this.#clock() + delay, attempts);
    this.#metrics?.mailDeliveries.inc({ outcome: 'retry' });
    this.#logger.warn({ err, jobId: job.id, attempts, retryInMs: delay }, 'email not sent, will retry');
  }
}
