import { securityOverview } from '../../self_service/overview.ts';
import { renderPage } from '../render.ts';
import { SECURITY, type AccountContext, type AccountDeps } from './context.ts';

/** GET /account/security: My Profile Settings › Password & Security. */
export async function showSecurity(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  const { sessionId, record } = ctx.state.signedIn;
  const overview = await securityOverview({ directory: deps.directory, mfa: deps.mfa, store: deps.store, audit: deps.audit }, record.userId);
  if (!overview) ctx.throw(400, 'There is no signed-in user for this request.');
  // The notice the last change left is shown once (post/redirect/get).
  if (record.notice) await deps.sessions.save(ctx, sessionId, { ...record, notice: undefined });
  renderPage(ctx, 'account/security', { title: 'Password & Security' }, { wide: true, base: SECURITY, csrf: record.csrf, notice: record.notice, overview, formatDate });
}

/** GET /account: the page itself. */
export function accountHome(ctx: AccountContext): Promise<void> {
  ctx.redirect(SECURITY);
  return Promise.resolve();
}

/** "March 1, 2027": dates on the page, in UTC (the account has no time zone of its own). */
function formatDate(epochMs: number): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(epochMs));
}
