import { z } from 'zod';
import { readForm } from '../forms.ts';
import { renderPage } from '../render.ts';
import type { SitePages } from '../first_party/routes.ts';
import { flowIdOf, SECURITY, type AccountContext, type AccountDeps } from './context.ts';

/**
 * A new recovery code is shown until the user confirms they saved it ("I Have Securely Saved This
 * Code"), as at enrollment: kept sealed (bound to the user) in the store for this session only,
 * downloadable meanwhile, and gone once confirmed. Every flow that issues one (a first factor added,
 * Request New Code) hands it here.
 */

const PAGE = `${SECURITY}/mfa/recovery-code`;
const KEEP_SECONDS = 15 * 60;
const SavedForm = z.object({ saved: z.literal('yes') });

/** Keeps the new code for this session and sends the browser to the page that shows it. */
export async function showNewRecoveryCode(ctx: AccountContext, deps: AccountDeps, code: string): Promise<void> {
  const { userId } = ctx.state.signedIn.record;
  await deps.flow.set(pendingKey(ctx), { sealed: deps.box.seal(code, userId) }, KEEP_SECONDS);
  ctx.status = 303;
  ctx.redirect(PAGE);
}

async function pendingCode(ctx: AccountContext, deps: AccountDeps): Promise<string | undefined> {
  const sealed = (await deps.flow.get(pendingKey(ctx)))?.['sealed'];
  return typeof sealed === 'string' ? deps.box.open(sealed, ctx.state.signedIn.record.userId) : undefined;
}

async function showPage(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  const code = await pendingCode(ctx, deps);
  if (code === undefined) {
    ctx.redirect(SECURITY);
    return;
  }
  renderPage(ctx, 'mfa_enroll/recovery_code_save', { title: 'Save Your Recovery Code' }, { base: SECURITY, uid: '', csrf: ctx.state.signedIn.record.csrf, code });
}

async function download(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  const code = await pendingCode(ctx, deps);
  if (code === undefined) ctx.throw(404, 'There is no new recovery code to download.');
  ctx.set('Cache-Control', 'no-store');
  ctx.attachment('recovery-code.txt');
  ctx.type = 'text/plain';
  ctx.body = `Recovery code: ${code}\n\nKeep it somewhere safe, apart from your authenticator app. It works once.\n`;
}

async function acknowledge(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  const code = await pendingCode(ctx, deps);
  if (code === undefined) {
    ctx.redirect(SECURITY);
    return;
  }
  if (!readForm(ctx, SavedForm).ok) {
    renderPage(ctx, 'mfa_enroll/recovery_code_save', { title: 'Save Your Recovery Code', status: 400 }, { base: SECURITY, uid: '', csrf: ctx.state.signedIn.record.csrf, code, error: 'Confirm that you have saved this code before you continue.' });
    return;
  }
  await deps.flow.delete(pendingKey(ctx));
  const { sessionId, record } = ctx.state.signedIn;
  await deps.sessions.save(ctx, sessionId, { ...record, notice: { tone: 'ok', text: 'Your new recovery code is saved. Any earlier code no longer works.' } });
  ctx.status = 303;
  ctx.redirect(SECURITY);
}

function pendingKey(ctx: AccountContext): string {
  return `account-recovery-code:${flowIdOf(ctx)}`;
}

export const newRecoveryCodePages: SitePages<AccountDeps> = {
  get: { '/security/mfa/recovery-code': showPage, '/security/mfa/recovery-code/download': download },
  post: { '/security/mfa/recovery-code': acknowledge },
};
