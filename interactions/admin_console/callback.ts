import type { Context } from 'koa';
import { ACR } from '../../mfa/assurance.ts';
import { renderPage } from '../render.ts';
import { runAction } from './actions.ts';
import type { ConsoleDeps } from './context.ts';
import { requestMeta } from '../request_meta.ts';

/**
 * `/admin/callback`: the provider's answer to the console's sign-in. The code is exchanged with
 * the state, nonce and PKCE verifier this browser's session kept; the ID token must carry the
 * multi-factor acr. The session then starts afresh under a new id (no fixation). A change that
 * waited for this re-authentication is carried out now, for the same admin only.
 */
export async function consoleCallback(ctx: Context, deps: ConsoleDeps): Promise<void> {
  const loaded = await deps.sessions.load(ctx);
  // The sign-in under way is single use: the session is taken out of the store, so that of two
  // callbacks of one sign-in (the authorization URL completed twice) only one goes on.
  const record = loaded?.record.login ? await deps.sessions.take(loaded.id) : undefined;
  const login = record?.login;
  if (!loaded || !record || !login || login.state !== loaded.record.login?.state) {
    renderPage(ctx, 'message', { status: 400, title: 'Sign-in expired' }, { message: 'This sign-in has expired or was started in another browser.', action: { href: '/admin', label: 'Sign in again' }, tone: 'error' });
    return;
  }
  const session = { id: loaded.id, record };
  const error = ctx.query['error'];
  if (typeof error === 'string') {
    await deps.sessions.save(ctx, session.id, { ...session.record, login: undefined, pending: undefined });
    renderPage(ctx, 'message', { status: 403, title: 'Not signed in' }, { message: 'The sign-in did not complete, so nothing was changed.', action: { href: '/admin', label: 'Try again' }, tone: 'error' });
    return;
  }
  let signIn;
  try {
    signIn = await deps.rp.finish(new URL(ctx.originalUrl, deps.rp.issuer), login, login.reauth ? deps.reauthSeconds : undefined);
  } catch (err) {
    deps.logger.warn({ err }, 'admin console sign-in refused');
    await deps.sessions.save(ctx, session.id, { ...session.record, login: undefined, pending: undefined });
    renderPage(ctx, 'message', { status: 400, title: 'Sign-in failed' }, { message: 'The sign-in could not be verified, so nothing was changed.', action: { href: '/admin', label: 'Try again' }, tone: 'error' });
    return;
  }
  if (signIn.acr !== ACR.multiFactor) {
    await deps.sessions.destroy(ctx, session.id);
    renderPage(ctx, 'message', { status: 403, title: 'MFA required' }, { message: 'The admin console needs a sign-in with multi-factor authentication.', tone: 'error' });
    return;
  }
  const pending = session.record.userId === signIn.userId ? session.record.pending : undefined;
  await deps.sessions.destroy(ctx, session.id);
  const now = deps.clock();
  const fresh = await deps.sessions.create(ctx, { userId: signIn.userId, authTime: signIn.authTime, authAge: signIn.authAge, signedInAt: now, idToken: signIn.idToken });
  if (pending && signIn.authAge <= deps.reauthSeconds) {
    const outcome = await runAction(deps, signIn.userId, pending, requestMeta(ctx));
    await deps.sessions.save(ctx, fresh.id, { ...fresh.record, notice: outcome.notice });
    ctx.status = 303;
    ctx.redirect(outcome.redirect);
    return;
  }
  ctx.status = 303;
  ctx.redirect(login.returnTo);
}

/** POST /admin/logout: the console session ends here, the provider session at its end_session endpoint. */
export async function consoleLogout(ctx: Context, deps: ConsoleDeps, sessionId: string, idToken: string | undefined): Promise<void> {
  await deps.sessions.destroy(ctx, sessionId);
  ctx.status = 303;
  ctx.redirect((await deps.rp.endSessionUrl(idToken)).href);
}
