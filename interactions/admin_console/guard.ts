import type { Context, Next } from 'koa';
import { ConsoleRelyingParty } from './relying_party.ts';
import type { ConsoleContext, ConsoleDeps } from './context.ts';
import { authenticationAge, csrfMatches, type AdminSessionRecord, type PendingAction } from './session.ts';
import { renderPage } from '../render.ts';

/**
 * Every console page needs a signed-in admin. Without one, a GET starts the sign-in at the provider
 * and comes back to the same page; a POST (its form came from a session that has ended) says so.
 * Each request keeps the session alive (the idle timeout slides).
 */
export function requireAdmin(deps: ConsoleDeps) {
  return async (ctx: ConsoleContext, next: Next): Promise<void> => {
    const session = await deps.sessions.load(ctx);
    const { userId, authTime } = session?.record ?? {};
    if (!session || userId === undefined || authTime === undefined) {
      if (ctx.method === 'GET') {
        await startSignIn(ctx, deps, session, ctx.originalUrl, undefined);
        return;
      }
      renderPage(ctx, 'message', { status: 403, title: 'Signed out' }, { message: 'Your console session has ended. Sign in again and repeat the change.', action: { href: '/admin', label: 'Sign in' }, tone: 'error' });
      return;
    }
    await deps.sessions.save(ctx, session.id, session.record);
    ctx.state.admin = { sessionId: session.id, record: { ...session.record, userId, authTime } };
    await next();
  };
}

/** Sends the browser to the provider; the session (new if need be) remembers the sign-in under way. */
export async function startSignIn(ctx: Context, deps: ConsoleDeps, session: { id: string; record: AdminSessionRecord } | undefined, returnTo: string, reauth: { pending: PendingAction } | undefined): Promise<void> {
  const login = ConsoleRelyingParty.newLogin(safeReturnTo(returnTo), reauth !== undefined);
  if (session) await deps.sessions.save(ctx, session.id, { ...session.record, login, ...(reauth ? { pending: reauth.pending } : {}) });
  else await deps.sessions.create(ctx, { login });
  ctx.status = 303;
  ctx.redirect((await deps.rp.authorizationUrl(login, reauth ? deps.reauthSeconds : undefined)).href);
}

/** A console form's CSRF token must match the session's; a mismatch changes nothing. */
export function checkCsrf(ctx: ConsoleContext): boolean {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  if (csrfMatches(ctx.state.admin.record, body?.['_csrf'])) return true;
  renderPage(ctx, 'message', { status: 403, title: 'Form expired' }, { message: 'This form has expired or did not come from the console. Reload the page and try again.', action: { href: '/admin', label: 'Back to the console' }, tone: 'error' });
  return false;
}

/**
 * A change goes ahead only on an authentication younger than ADMIN_REAUTH_SECONDS. An older one
 * is kept as the pending change and the admin is sent to the provider with `max_age`; the
 * callback carries it out once the admin has authenticated again (callback.ts).
 */
export async function freshOrReauthenticate(ctx: ConsoleContext, deps: ConsoleDeps, pending: PendingAction, returnTo: string): Promise<boolean> {
  const { record, sessionId } = ctx.state.admin;
  if (authenticationAge(record, deps.clock()) <= deps.reauthSeconds) return true;
  await startSignIn(ctx, deps, { id: sessionId, record }, returnTo, { pending });
  return false;
}

/** Only console paths: a return address never leaves the console (no open redirect). */
function safeReturnTo(path: string): string {
  return /^\/admin(\/[A-Za-z0-9_\-./%?=&]*)?$/.test(path) && !path.includes('//') ? path : '/admin';
}
