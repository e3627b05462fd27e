import { AUDIT_EVENT_TYPES, BadCursorError, type ListedAuditEvent } from '../../audit/audit_log.ts';
import { toCsv } from '../../admin/csv.ts';
import { endOfDay, formatInZone, startOfDay } from '../../admin/zoned_time.ts';
import type { User } from '../../directory/types.ts';
import type { ConsoleContext, ConsoleDeps } from './context.ts';
import { IN_OUR_WORDS } from '../forms.ts';
import { AuditFilters } from './forms.ts';
import { companyNotFound, companyOfRequest, csvResponse, renderConsole } from './render.ts';

const PAGE_SIZE = 50;
/** A CSV export walks the pages up to this many events. */
const CSV_MAX_EVENTS = 10_000;

/** GET …/audit: the company's security events, newest first, filtered and paged (or as CSV). */
export async function showAudit(ctx: ConsoleContext, deps: ConsoleDeps): Promise<void> {
  const entry = await companyOfRequest(ctx, deps);
  if (!entry) return;
  const companyId = entry.company.id;
  const adminId = ctx.state.signedIn.record.userId;
  const parsed = AuditFilters.safeParse(ctx.query, IN_OUR_WORDS);
  const filters = parsed.success ? parsed.data : { format: 'html' as const };
  const error = parsed.success ? undefined : (parsed.error.issues[0]?.message ?? 'Invalid filter.');
  const type = AUDIT_EVENT_TYPES.find((t) => t === filters.type);
  const zone = entry.company.timeZone;
  const query = {
    ...(type ? { types: [type] } : {}),
    email: filters.email,
    from: filters.from ? startOfDay(filters.from, zone) : undefined,
    to: filters.to ? endOfDay(filters.to, zone) : undefined,
  };

  if (filters.format === 'csv') {
    const events: ListedAuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.admin.auditTrail(adminId, companyId, { ...query, cursor, limit: 500 });
      if (!page) {
        companyNotFound(ctx);
        return;
      }
      events.push(...page.events);
      cursor = page.next;
    } while (cursor !== undefined && events.length < CSV_MAX_EVENTS);
    const users = await deps.admin.usersById(events.flatMap((e) => (e.userId ? [e.userId] : [])));
    const rows = events.map((e) => [formatInZone(e.at, zone), e.type, emailOf(e, users), e.ip, e.userAgent, detailText(e)]);
    csvResponse(ctx, `audit-${companyId}.csv`, toCsv(['Time', 'Event', 'User', 'IP address', 'User agent', 'Details'], rows));
    return;
  }

  let page;
  try {
    page = await deps.admin.auditTrail(adminId, companyId, { ...query, cursor: filters.cursor, limit: PAGE_SIZE });
  } catch (err) {
    if (!(err instanceof BadCursorError)) throw err;
    page = { events: [], next: undefined };
  }
  if (!page) {
    companyNotFound(ctx);
    return;
  }
  const users = await deps.admin.usersById(page.events.flatMap((e) => (e.userId ? [e.userId] : [])));
  await renderConsole(
    ctx,
    deps,
    'admin/audit',
    'Audit trail',
    {
      types: AUDIT_EVENT_TYPES,
      filters: { type: type ?? '', email: filters.email ?? '', from: filters.from ?? '', to: filters.to ?? '' },
      rows: page.events.map((e) => ({ time: formatInZone(e.at, zone), type: e.type, user: emailOf(e, users), ip: e.ip, detail: detailText(e) })),
      nextHref: page.next === undefined ? undefined : linkWith(ctx, { cursor: page.next }),
      csvHref: linkWith(ctx, { format: 'csv', cursor: undefined }),
      zone,
      error,
    },
    { company: entry, ...(error ? { status: 400 } : {}) },
  );
}

function emailOf(event: ListedAuditEvent, users: Map<string, User>): string {
  return event.userId === undefined ? '' : (users.get(event.userId)?.email ?? event.userId);
}

function detailText(event: ListedAuditEvent): string {
  return Object.entries(event.detail ?? {})
    .map(([key, value]) => `${key}: ${value}`)
    .join('; ');
}

/** The current page's link with some query parameters replaced. */
function linkWith(ctx: ConsoleContext, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams(ctx.querystring);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  }
  return `${ctx.path}?${params.toString()}`;
}
