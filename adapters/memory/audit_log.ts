import type { AuditEvent, AuditLog, AuditPage, AuditQuery } from '../../audit/audit_log.ts';
import { decodeCursor, encodeCursor, matchesNothing, matchesQuery, pageSize } from '../audit_search.ts';

/**
 * A recorded event and its place in the log, numbered as Redis numbers stream entries (`<ms>-<seq>`,
 * strictly increasing), so cursors look, validate and compare the same in both modes. `ms` is the
 * event's `at`, or the previous entry's when an injected clock moved back.
 */
interface Entry {
  event: AuditEvent;
  ms: bigint;
  seq: bigint;
  id: string;
}

export class MemoryAuditLog implements AuditLog {
  readonly #entries: Entry[] = [];

  record(event: AuditEvent): Promise<void> {
    const previous = this.#entries.at(-1);
    const at = Number.isFinite(event.at) ? BigInt(Math.max(0, Math.floor(event.at))) : 0n;
    const ms = previous !== undefined && previous.ms >= at ? previous.ms : at;
    const seq = previous !== undefined && previous.ms === ms ? previous.seq + 1n : 0n;
    this.#entries.push({ event: structuredClone(event), ms, seq, id: `${ms}-${seq}` });
    return Promise.resolve();
  }

  forUser(userId: string, limit: number): Promise<AuditEvent[]> {
    return Promise.resolve(newestFirst(this.#events().filter((e) => e.userId === userId), limit));
  }

  forCompany(companyId: string, limit: number): Promise<AuditEvent[]> {
    return Promise.resolve(newestFirst(this.#events().filter((e) => e.companyIds.includes(companyId)), limit));
  }

  search(companyId: string, query: AuditQuery): Promise<AuditPage> {
    // Inside the executor a bad cursor rejects the promise, as on Redis, rather than throwing at the call.
    return new Promise((resolve) => {
      resolve(this.#search(companyId, query));
    });
  }

  #search(companyId: string, query: AuditQuery): AuditPage {
    const below = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const size = pageSize(query.limit);
    if (size === 0 || matchesNothing(query)) return { events: [], next: undefined };
    const matching = this.#entries.filter(
      (entry) => (below === undefined || isBelow(entry, below)) && entry.event.companyIds.includes(companyId) && matchesQuery(entry.event, query),
    );
    const page = matching.reverse().slice(0, size);
    const last = page.at(-1);
    return {
      events: page.map((entry) => ({ ...structuredClone(entry.event), id: entry.id })),
      // Everything is in hand here, so `next` is given only when a match really follows.
      next: last !== undefined && matching.length > size ? encodeCursor(last.id) : undefined,
    };
  }

  #events(): AuditEvent[] {
    return this.#entries.map((entry) => entry.event);
  }
}

/** Whether the entry comes before the position `below` (exclusive), as XREVRANGE `(id` reads. */
function isBelow(entry: Entry, below: { ms: bigint; seq: bigint }): boolean {
  return entry.ms < below.ms || (entry.ms === below.ms && entry.seq < below.seq);
}

/** Copies, as a store read gives: a caller changing an event must not change the log. */
function newestFirst(events: AuditEvent[], limit: number): AuditEvent[] {
  return events.reverse().slice(0, limit).map((event) => structuredClone(event));
}
