import { BadCursorError, type AuditEvent, type AuditQuery } from '../audit/audit_log.ts';

/**
 * What an audit search means, shared by the memory and Redis logs so both answer alike:
 * the page size, the filters, and the cursor (a position in the log, opaque to callers).
 */

/** A caller's limit is trusted no further than this: one page is one response of the admin console. */
export const MAX_PAGE_SIZE = 500;

/** The page size to serve: 0 (an empty page) for a limit ≤ 0 or not a number, else at most MAX_PAGE_SIZE. */
export function pageSize(limit: number): number {
  if (!(limit >= 1)) return 0;
  return Math.min(Math.floor(limit), MAX_PAGE_SIZE);
}

/** True when the query's filters could match nothing (from after to), so no scan is needed. */
export function matchesNothing(query: AuditQuery): boolean {
  return query.from !== undefined && query.to !== undefined && query.from > query.to;
}

/** Whether `event` passes every filter of `query`. The range is on `at`, our clock, inclusive. */
export function matchesQuery(event: AuditEvent, query: AuditQuery): boolean {
  if (query.types !== undefined && !query.types.includes(event.type)) return false;
  if (query.userId !== undefined && event.userId !== query.userId) return false;
  if (query.from !== undefined && event.at < query.from) return false;
  if (query.to !== undefined && event.at > query.to) return false;
  return true;
}

/** A log entry id, `<ms>-<seq>`: the shape of a Redis stream id, which the memory log copies. */
const ENTRY_ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX_ID_PART = 2n ** 64n - 1n;
/** Longest cursor an entry id encodes to (41 characters of id); anything longer is not ours. */
const MAX_CURSOR_LENGTH = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function encodeCursor(entryId: string): string {
  return Buffer.from(entryId, 'utf8').toString('base64url');
}

/**
 * The entry id a cursor stands for. Strict, because the id goes into a Redis command: anything
 * not exactly the encoding of a well-formed id (each part a 64-bit number) throws BadCursorError.
 */
export function decodeCursor(cursor: string): { ms: bigint; seq: bigint; id: string } {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new BadCursorError();
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  // Re-encoding catches non-canonical input (stray trailing bits) that Buffer decodes leniently.
  if (encodeCursor(id) !== cursor) throw new BadCursorError();
  const [, msPart, seqPart] = ENTRY_ID.exec(id) ?? [];
  if (msPart === undefined || seqPart === undefined) throw new BadCursorError();
  const ms = BigInt(msPart);
  const seq = BigInt(seqPart);
  if (ms > MAX_ID_PART || seq > MAX_ID_PART) throw new BadCursorError();
  // Normalised (no leading zeros), so the id handed on is exactly what Redis would print.
  return { ms, seq, id: `${ms}-${seq}` };
}
