import type { AuditEvent, AuditLog, AuditPage, AuditQuery, ListedAuditEvent } from '../../audit/audit_log.ts';
import type { RedisClient } from './client.ts';
import { auditEventRecord, CorruptRecordError, parseJsonRecord } from '../records.ts';
import { decodeCursor, encodeCursor, matchesNothing, matchesQuery, pageSize } from '../audit_search.ts';

/** Each stream keeps roughly this many events; older ones are trimmed. */
const MAX_EVENTS_PER_STREAM = 10_000;

/**
 * A search reads at most this many entries per call, so a narrow filter over a long stream costs a
 * few bounded calls (each handing on a cursor) rather than one that reads the whole stream.
 */
const MAX_SCANNED_PER_SEARCH = 2_000;
/** Entries per XREVRANGE after the first (which asks for one page and one more): few round trips, small replies. */
const MAX_BATCH = 500;

/**
 * Audit events in Redis Streams, one stream per user and one per company:
 *   {prefix}audit:{u:<id>}   {prefix}audit:{c:<id>}
 * Each XADD touches one stream, so the layout is cluster-safe.
 */
export class RedisAuditLog implements AuditLog {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}audit:`;
  }

  async record(event: AuditEvent): Promise<void> {
    const fields = { event: JSON.stringify(event) };
    const options = { TRIM: { strategy: 'MAXLEN' as const, strategyModifier: '~' as const, threshold: MAX_EVENTS_PER_STREAM } };
    const streams = [...(event.userId === undefined ? [] : [`{u:${event.userId}}`]), ...event.companyIds.map((id) => `{c:${id}}`)];
    await Promise.all(streams.map((stream) => this.#redis.xAdd(this.#prefix + stream, '*', fields, options)));
  }

  forUser(userId: string, limit: number): Promise<AuditEvent[]> {
    return this.#read(`{u:${userId}}`, limit);
  }

  forCompany(companyId: string, limit: number): Promise<AuditEvent[]> {
    return this.#read(`{c:${companyId}}`, limit);
  }

  /**
   * Walks the company's stream down from the cursor, filtering here: `from`/`to` are on the event's
   * `at` (our clock), while entry ids carry Redis's clock, so ids are only a scan position, never a
   * range bound. A page ends when it is full, the stream ends, or the scan bound is reached; `next`
   * is then the last entry read, so the next page starts just below it and events recorded
   * meanwhile (above the first page) never show up later.
   */
  async search(companyId: string, query: AuditQuery): Promise<AuditPage> {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const size = pageSize(query.limit);
    // Nothing is below 0-0, and Redis refuses `(0-0` as a start rather than read nothing.
    const belowAll = cursor !== undefined && cursor.ms === 0n && cursor.seq === 0n;
    if (size === 0 || belowAll || matchesNothing(query)) return { events: [], next: undefined };
    // `(` makes the start exclusive (Redis ≥ 6.2): the cursor's own entry was on the last page.
    let start = cursor === undefined ? '+' : `(${cursor.id}`;
    const stream = `${this.#prefix}{c:${companyId}}`;
    const events: ListedAuditEvent[] = [];
    let scanned = 0;
    let batch = size + 1;
    for (;;) {
      const count = Math.min(batch, MAX_SCANNED_PER_SEARCH - scanned);
      const entries = (await this.#redis.xRevRange(stream, start, '-', { COUNT: count })) ?? [];
      for (const [index, entry] of entries.entries()) {
        const event = parseEvent(entry.message);
        if (matchesQuery(event, query)) events.push({ ...event, id: entry.id });
        if (events.length === size) {
          const streamEndsHere = index === entries.length - 1 && entries.length < count;
          return { events, next: streamEndsHere ? undefined : encodeCursor(entry.id) };
        }
      }
      const last = entries.at(-1);
      if (last === undefined || entries.length < count) return { events, next: undefined };
      scanned += entries.length;
      if (scanned >= MAX_SCANNED_PER_SEARCH) return { events, next: encodeCursor(last.id) };
      start = `(${last.id}`;
      batch = Math.min(batch * 2, MAX_BATCH);
    }
  }

  async #read(stream: string, limit: number): Promise<AuditEvent[]> {
    const entries = await this.#redis.xRevRange(this.#prefix + stream, '+', '-', { COUNT: limit });
    return (entries ?? []).map((entry) => parseEvent(entry.message));
  }
}

function parseEvent(message: Record<string, string>): AuditEvent {
  const json = message['event'];
  if (json === undefined) throw new CorruptRecordError('audit event', 'no event field');
  return parseJsonRecord(auditEventRecord, json, 'audit event');
}
