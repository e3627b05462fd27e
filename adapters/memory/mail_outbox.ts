import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/clock.ts';
import { DEFAULT_MAIL_RETENTION_SECONDS, type ClaimedMail, type MailOutbox, type MailOutboxStats, type OutgoingMail } from '../../notify/outbox.ts';

interface Job {
  mail: OutgoingMail;
  attempts: number;
  dueAt: number;
  queuedAt: number;
}

/**
 * The outbox in process memory (development and tests: a restart loses it). JavaScript runs one
 * callback at a time, so each method is atomic. The clock only expires enqueue keys; job times come
 * from the caller, like the Redis outbox.
 */
export class MemoryMailOutbox implements MailOutbox {
  readonly #clock: Clock;
  /** Enqueue key → when it may be queued again. */
  readonly #keys = new Map<string, number>();
  /** In enqueue order, which breaks ties between jobs due at the same time. */
  readonly #jobs = new Map<string, Job>();

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  enqueueOnce(key: string, mail: OutgoingMail, options?: { retentionSeconds?: number; queuedAtMs?: number }): Promise<boolean> {
    const now = this.#clock();
    const keptUntil = this.#keys.get(key);
    if (keptUntil !== undefined && keptUntil > now) return Promise.resolve(false);
    this.#keys.set(key, now + (options?.retentionSeconds ?? DEFAULT_MAIL_RETENTION_SECONDS) * 1000);
    this.#jobs.set(randomUUID(), { mail: { to: mail.to, subject: mail.subject, text: mail.text }, attempts: 0, dueAt: 0, queuedAt: options?.queuedAtMs ?? now });
    return Promise.resolve(true);
  }

  stats(): Promise<MailOutboxStats> {
    let oldest: number | undefined;
    for (const job of this.#jobs.values()) oldest = oldest === undefined ? job.queuedAt : Math.min(oldest, job.queuedAt);
    return Promise.resolve({ depth: this.#jobs.size, oldestQueuedAtMs: oldest });
  }

  claimDue(nowMs: number, leaseMs: number, max: number): Promise<ClaimedMail[]> {
    const due = [...this.#jobs].filter(([, job]) => job.dueAt <= nowMs);
    // A stable sort: equal due times keep enqueue order.
    due.sort(([, a], [, b]) => a.dueAt - b.dueAt);
    return Promise.resolve(
      due.slice(0, max).map(([id, job]) => {
        job.dueAt = nowMs + leaseMs;
        return { id, mail: { ...job.mail }, attempts: job.attempts };
      }),
    );
  }

  complete(id: string): Promise<void> {
    this.#jobs.delete(id);
    return Promise.resolve();
  }

  retryAt(id: string, atMs: number, attempts: number): Promise<void> {
    const job = this.#jobs.get(id);
    if (job) Object.assign(job, { dueAt: atMs, attempts });
    return Promise.resolve();
  }
}
