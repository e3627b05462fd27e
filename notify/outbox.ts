/** An email as domain code writes it: plain text, no code or secret ever in it. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** How long a key is remembered by default (~400 days): longer than any yearly reminder cycle. */
export const DEFAULT_MAIL_RETENTION_SECONDS = 400 * 86_400;

/** What domain code uses. */
export interface MailQueue {
  /** Queues `mail` once per `key` (kept for `retentionSeconds`, default ~400 days): false when the key was queued before. */
  enqueueOnce(key: string, mail: OutgoingMail, options?: { retentionSeconds?: number }): Promise<boolean>;
}

/** A queued email a worker holds a lease on. */
export interface ClaimedMail {
  /** The job's own id (random, not the enqueue key): safe to log. */
  id: string;
  mail: OutgoingMail;
  /** Failed sends so far. */
  attempts: number;
}

/** What the outbox holds now (the metrics read it at each scrape). */
export interface MailOutboxStats {
  /** Jobs not yet sent or given up, those leased to a worker included. */
  depth: number;
  /** When the longest-waiting job was queued (epoch ms); undefined when the outbox is empty. */
  oldestQueuedAtMs: number | undefined;
}

/**
 * The storage port behind the queue (adapters/memory and adapters/redis implement it). Every time
 * comes from the caller's clock; a new job is due at once. Each method is atomic, so any number of
 * workers may share one outbox.
 */
export interface MailOutbox extends MailQueue {
  /**
   * As MailQueue's, and `queuedAtMs` is when the job is queued, by the caller's clock (MailDelivery
   * passes its own). Without it the adapter uses its clock: the memory outbox's, or the system's.
   */
  enqueueOnce(key: string, mail: OutgoingMail, options?: { retentionSeconds?: number; queuedAtMs?: number }): Promise<boolean>;
  /** How many jobs wait and since when. Reads only (the Redis outbox may drop index entries of jobs already gone). */
  stats(): Promise<MailOutboxStats>;
  /**
   * Leases up to `max` jobs due at `nowMs` (oldest due first): each becomes due again at
   * `nowMs + leaseMs`, so no other worker gets it until then, and a worker that dies holding it
   * only delays it by the lease.
   */
  claimDue(nowMs: number, leaseMs: number, max: number): Promise<ClaimedMail[]>;
  /** Deletes the job: it was sent, or the worker gave up on it. A job already gone is no error. */
  complete(id: string): Promise<void>;
  /** Makes the job due at `atMs` with `attempts` failed sends; a job already completed stays gone. */
  retryAt(id: string, atMs: number, attempts: number): Promise<void>;
}
