import type { Context } from 'koa';
import { ACR } from '../../mfa/assurance.ts';
import { renderPage } from '../render.ts';
import type { FirstPartyDeps } from './context.ts';

/**
 * `<basePath>/callback`: the provider's answer to the site's sign-in. The code is exchanged with the
 * state, nonce and PKCE verifier this browser's session kept; where the site requires it, the ID
 * token must carry the multi-factor acr. The session then starts afresh under a new id (no
 * fixation). A change that waited for this re-authentication is carried out now, for the same user
 * only.
 */
export async function signInCallback(ctx: Context, deps: FirstPartyDeps): Promise<void> {
  const { site } = deps;
  const loaded = await deps.sessions.load(ctx);
  // The sign-in under way is single use: the session is taken out of the store, so that of two
  // callbacks of one sign-in (the authorization URL completed twice) only one goes on.
  const record = loaded?.record.login ? await deps.sessions.take(loaded.id) : undefined;
  const login = record?.login;
  if (!loaded || !record || !login || login.state !== loaded.record.login?.state) {
    renderPage(ctx, 'message', { status: 400, title: 'Sign-in expired' }, { message: 'This sign-in has expired or was started in another browser.', action: { href: site.basePath, label: 'Sign in again' }, tone: 'error' });
    return;
  }
  const session = { id: loaded.id, record };
  const error = ctx.query['error'];
  if (typeof error === 'string') {
    await deps.sessions.save(ctx, session.id, { ...session.record, login: undefined, pending: undefined });
    renderPage(ctx, 'message', { status: 403, title: 'Not signed in' }, { message: 'The sign-in did not complete, so nothing was changed.', action: { href: site.basePath, label: 'Try again' }, tone: 'error' });
    return;
  }
  let signIn;
  try {
    signIn = await deps.rp.finish(new URL(ctx.originalUrl, deps.rp.issuer), login, login.reauth ? deps.reauthSeconds : undefined);
  } catch (err) {
    deps.logger.warn({ err, site: site.clientId }, 'first-party sign-in refused');
    await deps.sessions.save(ctx, session.id, { ...session.record, login: undefined, pending: undefined });
    renderPage(ctx, 'message', { status: 400, title: 'Sign-in failed' }, { message: 'The sign-in could not be verified, so nothing was changed.', action: { href: site.basePath, label: 'Try again' }, tone: 'error' });
    return;
  }
  if (site.requireMfa && signIn.acr !== ACR.multiFactor) {
    await deps.sessions.destroy(ctx, session.id);
    renderPage(ctx, 'message', { status: 403, title: 'MFA required' }, { message: `${capitalized(site.label)} needs a sign-in with multi-factor authentication.`, tone: 'error' });
    return;
  }
  const pending = session.record.userId === signIn.userId ? session.record.pending : undefined;
  await deps.sessions.destroy(ctx, session.id);
  const now = deps.clock();
  // A sign-in with the multi-factor acr proved MFA at auth_time: that counts as the site's latest MFA.
  const verified = signIn.acr === ACR.multiFactor ? { mfa: now - signIn.authAge * 1000 } : undefined;
  const fresh = await deps.sessions.create(ctx, { userId: signIn.userId, authTime: signIn.authTime, authAge: signIn.authAge, signedInAt: now, sid: signIn.sid, idToken: signIn.idToken, ...(verified ? { verified } : {}) });
  if (pending !== undefined && deps.runPending && signIn.authAge <= deps.reauthSeconds) {
    const outcome = await deps.runPending(ctx, signIn.userId, pending);
    await deps.sessions.save(ctx, fresh.id, { ...fresh.record, notice: outcome.notice });
    ctx.status = 303;
    ctx.redirect(outcome.redirect);
    return;
  }
  ctx.status = 303;
  ctx.redirect(login.returnTo);
}

/** POST `<basePath>/logout`: the site's session ends here, the provider session at its end_session endpoint. */
export async function signOut(ctx: Context, deps: FirstPartyDeps, sessionId: string, idToken: string | undefined): Promise<void> {
  await deps.sessions.destroy(ctx, sessionId);
  ctx.status = 303;
  ctx.redirect((await deps.rp.endSessionUrl(idToken)).href);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
