import type { Context, Next } from 'koa';
import { FirstPartyRelyingParty } from './relying_party.ts';
import type { FirstPartyContext, FirstPartyDeps } from './context.ts';
import { authenticationAge, csrfMatches, type SessionRecord } from './session.ts';
import { renderPage } from '../render.ts';

/**
 * Every page of the site needs a signed-in user. Without one, a GET starts the sign-in at the
 * provider and comes back to the same page; a POST (its form came from a session that has ended)
 * says so. Each request keeps the session alive (the idle timeout slides).
 */
export function requireSignIn(deps: FirstPartyDeps) {
  return async (ctx: FirstPartyContext, next: Next): Promise<void> => {
    const session = await deps.sessions.load(ctx);
    const { userId, authTime } = session?.record ?? {};
    if (!session || userId === undefined || authTime === undefined) {
      if (ctx.method === 'GET') {
        await startSignIn(ctx, deps, session, ctx.originalUrl, undefined);
        return;
      }
      renderPage(ctx, 'message', { status: 403, title: 'Signed out' }, { message: `Your session of ${deps.site.label} has ended. Sign in again and repeat the change.`, action: { href: deps.site.basePath, label: 'Sign in' }, tone: 'error' });
      return;
    }
    await deps.sessions.save(ctx, session.id, session.record);
    ctx.state.signedIn = { sessionId: session.id, record: { ...session.record, userId, authTime } };
    await next();
  };
}

/** Sends the browser to the provider; the session (new if need be) remembers the sign-in under way. */
export async function startSignIn(ctx: Context, deps: FirstPartyDeps, session: { id: string; record: SessionRecord } | undefined, returnTo: string, reauth: { pending: unknown } | undefined): Promise<void> {
  const login = FirstPartyRelyingParty.newLogin(safeReturnTo(deps.site.basePath, returnTo), reauth !== undefined);
  if (session) await deps.sessions.save(ctx, session.id, { ...session.record, login, ...(reauth ? { pending: reauth.pending } : {}) });
  else await deps.sessions.create(ctx, { login });
  ctx.status = 303;
  ctx.redirect((await deps.rp.authorizationUrl(login, reauth ? deps.reauthSeconds : undefined)).href);
}

/** A form's CSRF token must match the session's; a mismatch changes nothing. */
export function checkCsrf(ctx: FirstPartyContext, deps: FirstPartyDeps): boolean {
  const body = ctx.request.body as Record<string, unknown> | undefined;
  if (csrfMatches(ctx.state.signedIn.record, body?.['_csrf'])) return true;
  renderPage(ctx, 'message', { status: 403, title: 'Form expired' }, { message: `This form has expired or did not come from ${deps.site.label}. Reload the page and try again.`, action: { href: deps.site.basePath, label: 'Back' }, tone: 'error' });
  return false;
}

/**
 * A change goes ahead only on an authentication younger than `reauthSeconds`. An older one is kept
 * as the pending change and the user is sent to the provider with `max_age`; the callback carries
 * it out once they have authenticated again (callback.ts).
 */
export async function freshOrReauthenticate(ctx: FirstPartyContext, deps: FirstPartyDeps, pending: unknown, returnTo: string): Promise<boolean> {
  const { record, sessionId } = ctx.state.signedIn;
  if (authenticationAge(record, deps.clock()) <= deps.reauthSeconds) return true;
  await startSignIn(ctx, deps, { id: sessionId, record }, returnTo, { pending });
  return false;
}

/** Only the site's own paths: a return address never leaves it (no open redirect). */
function safeReturnTo(basePath: string, path: string): string {
  const own = path === basePath || (path.startsWith(`${basePath}/`) && /^[A-Za-z0-9_\-./%?=&]*$/.test(path.slice(basePath.length)));
  return own && !path.includes('//') ? path : basePath;
}
