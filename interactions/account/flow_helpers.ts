import { join } from 'node:path';
import type { EnrollOutcome, Enrollment } from '../../mfa/factor.ts';
import type { OtherWay, ScreenResult, ScreenRoute } from '../../mfa/screens.ts';
import type { SitePages } from '../first_party/routes.ts';
import { renderPage } from '../render.ts';
import { ACCOUNT_SITE, SECURITY, type AccountContext, type AccountDeps } from './context.ts';
import { refuseWhenIdpManaged } from './guards.ts';
import { showNewRecoveryCode } from './new_recovery_code.ts';
import { requireStepUp } from './step_up.ts';

/** What every Password & Security flow shares: its guard, its answers, and the end of a change. */

/** Step-up first (a stale proof re-verifies, then comes back to `start`), then no IdP-run MFA. */
export async function guardedMfaFlow(ctx: AccountContext, deps: AccountDeps, start: string): Promise<boolean> {
  if (!(await requireStepUp(ctx, deps, start))) return false;
  return !(await refuseWhenIdpManaged(ctx, deps));
}

/** The provider session this site signed in from stays when a replacement ends the user's others. */
export function keptSession(ctx: AccountContext): { clientId: string; sid: string } | undefined {
  const { sid } = ctx.state.signedIn.record;
  return sid === undefined ? undefined : { clientId: ACCOUNT_SITE.clientId, sid };
}

/** Back to the page, which says what changed (once). */
export async function backWithNotice(ctx: AccountContext, deps: AccountDeps, text: string): Promise<void> {
  const { sessionId, record } = ctx.state.signedIn;
  await deps.sessions.save(ctx, sessionId, { ...record, notice: { tone: 'ok', text } });
  redirect(ctx, SECURITY);
}

/** A method stored: the first factor's new recovery code to save, or back to the page saying what changed. */
export async function afterMethodStored(ctx: AccountContext, deps: AccountDeps, recoveryCode: string | undefined, text: string): Promise<void> {
  if (recoveryCode !== undefined) await showNewRecoveryCode(ctx, deps, recoveryCode);
  else await backWithNotice(ctx, deps, text);
}

/** A refusal page with a way back (to the page, or to the flow's start). */
export function message(ctx: AccountContext, status: number, title: string, text: string, back: string = SECURITY): void {
  renderPage(ctx, 'message', { title, status }, { tone: 'error', message: text, action: { href: back, label: back === SECURITY ? 'Back to Password & Security' : 'Start again' } });
}

export function redirect(ctx: AccountContext, path: string): void {
  ctx.status = 303;
  ctx.redirect(path);
}

/**
 * Runs one of a method's enrollment screens within a flow, committing through `commit` when the
 * screen confirms the code; returns what was committed (undefined when nothing was) and the screen's
 * answer.
 */
export async function runEnrollmentScreen<C extends { ok: true }>(
  ctx: AccountContext,
  screen: Extract<ScreenRoute, { step: 'mfa_enroll' }>,
  setup: { enrollment: Enrollment; others: OtherWay[]; commit: (code: string) => Promise<C | Exclude<EnrollOutcome, { ok: true }>> },
): Promise<{ committed: C | undefined; result: ScreenResult }> {
  let committed: C | undefined;
  const result = await screen.handle({
    form: ctx.request.body,
    context: setup.enrollment.context,
    others: setup.others,
    enrollment: setup.enrollment,
    confirm: async (code) => {
      const outcome = await setup.commit(code);
      if (!outcome.ok) return outcome;
      committed = outcome;
      return { ok: true };
    },
  });
  return { committed: result.kind === 'enrolled' ? committed : undefined, result };
}

/** A setup screen's answer as a response, within the flow at `base`; `stale` says what was not saved. */
export function showSetupResult(ctx: AccountContext, result: ScreenResult, flow: { base: string; viewsDir: string; stale: string }): void {
  switch (result.kind) {
    case 'page':
      if (result.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(result.retryAfterSeconds));
      renderPage(ctx, join(flow.viewsDir, result.view), { title: result.title, status: result.status ?? 200 }, { base: flow.base, uid: '', csrf: ctx.state.signedIn.record.csrf, ...result.data });
      return;
    case 'redirect':
      redirect(ctx, `${flow.base}/${result.path}`);
      return;
    case 'stale':
      message(ctx, 409, 'Nothing Was Changed', flow.stale, flow.base);
      return;
    case 'enrolled':
    case 'attempted':
      redirect(ctx, SECURITY);
      return;
    case 'refused':
      ctx.throw(result.status, result.message);
  }
}

type EnrollScreen = Extract<ScreenRoute, { step: 'mfa_enroll' }>;

/** Mounts a method's enrollment screens under `prefix` (a flow's base, relative to the site). */
export function mountEnrollScreens(pages: SitePages<AccountDeps>, screens: readonly ScreenRoute[], prefix: string, handle: (ctx: AccountContext, deps: AccountDeps, screen: EnrollScreen) => Promise<void>): void {
  for (const screen of screens) {
    if (screen.step !== 'mfa_enroll') continue;
    pages[screen.method === 'GET' ? 'get' : 'post'][`${prefix}/${screen.path}`] = (ctx, deps) => handle(ctx, deps, screen);
  }
}
