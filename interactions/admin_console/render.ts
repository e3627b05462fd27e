import type { AdminCompany } from '../../admin/service.ts';
import { renderPage } from '../render.ts';
import type { ConsoleContext, ConsoleDeps } from './context.ts';

/**
 * A console page: wide layout, the company navigation, the CSRF token for its forms, and the notice
 * the last change left (shown once).
 */
export async function renderConsole(ctx: ConsoleContext, deps: ConsoleDeps, view: string, title: string, data: Record<string, unknown>, options: { status?: number; company?: AdminCompany } = {}): Promise<void> {
  const { record, sessionId } = ctx.state.signedIn;
  const notice = record.notice;
  if (notice) await deps.sessions.save(ctx, sessionId, { ...record, notice: undefined });
  renderPage(ctx, view, { title, status: options.status ?? 200 }, { wide: true, csrf: record.csrf, notice, company: options.company, ...data });
}

export function csvResponse(ctx: ConsoleContext, filename: string, csv: string): void {
  ctx.status = 200;
  ctx.type = 'text/csv; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Disposition', `attachment; filename="${filename}"`);
  ctx.body = csv;
}

/**
 * The company named in the URL, if the signed-in admin may see it; otherwise the 404 page is sent
 * (a company they may not see is answered like one that does not exist) and undefined returned.
 */
export async function companyOfRequest(ctx: ConsoleContext, deps: ConsoleDeps): Promise<AdminCompany | undefined> {
  const entry = await deps.admin.company(ctx.state.signedIn.record.userId, String(ctx.params['companyId']));
  if (!entry) companyNotFound(ctx);
  return entry;
}

export function companyNotFound(ctx: ConsoleContext): void {
  renderPage(ctx, 'message', { status: 404, title: 'Not found' }, { message: 'That company was not found.', action: { href: '/admin', label: 'Your companies' }, tone: 'error' });
}
