import type { AuditEvent, AuditLog } from '../../audit/audit_log.ts';

export class MemoryAuditLog implements AuditLog {
  readonly #events: AuditEvent[] = [];

  record(event: AuditEvent): Promise<void> {
    this.#events.push(structuredClone(event));
    return Promise.resolve();
  }

  forUser(userId: string, limit: number): Promise<AuditEvent[]> {
    return Promise.resolve(this.#events.filter((e) => e.userId === userId).reverse().slice(0, limit));
  }

  forCompany(companyId: string, limit: number): Promise<AuditEvent[]> {
    return Promise.resolve(this.#events.filter((e) => e.companyIds.includes(companyId)).reverse().slice(0, limit));
  }
}
