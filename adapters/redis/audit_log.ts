import type { AuditEvent, AuditLog } from '../../audit/audit_log.ts';
import type { RedisClient } from './client.ts';
import { auditEventRecord, CorruptRecordError, parseJsonRecord } from '../records.ts';

/** Each stream keeps roughly this many events; older ones are trimmed. */
const MAX_EVENTS_PER_STREAM = 10_000;

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

  async #read(stream: string, limit: number): Promise<AuditEvent[]> {
    const entries = await this.#redis.xRevRange(this.#prefix + stream, '+', '-', { COUNT: limit });
    return (entries ?? []).map((entry) => {
      const json = entry.message['event'];
      if (json === undefined) throw new CorruptRecordError('audit event', 'no event field');
      return parseJsonRecord(auditEventRecord, json, 'audit event');
    });
  }
}
