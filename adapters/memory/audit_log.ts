import type { AuditEvent, AuditLog } from '../../audit/audit_log.ts';

export class MemoryAuditLog implements AuditLog {
  readonly #events: AuditEvent[] = [];

  record(event: AuditEvent): Promise<void> {
    this.#events.push(structuredClone(event));
    return Promise.resolve();
  }

  forUser(userId: string, limit: number): Promise<AuditEvent[]> {
    return Promise.resolve(newestFirst(this.#events.filter((e) => e.userId === userId), limit));
  }

  forCompany(companyId: string, limit: number): Promise<AuditEvent[]> {
    return Promise.resolve(newestFirst(this.#events.filter((e) => e.companyIds.includes(companyId)), limit));
  }
}

/** Copies, as a store read gives: a caller changing an event must not change the log. */
function newestFirst(events: AuditEvent[], limit: number): AuditEvent[] {
  return events.reverse().slice(0, limit).map((event) => structuredClone(event));
}
