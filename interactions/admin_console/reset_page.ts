import { readForm } from '../forms.ts';
import { requestMeta } from '../request_meta.ts';
import { runAction } from './actions.ts';
import type { ConsoleContext, ConsoleDeps } from './context.ts';
import { ResetForm } from './forms.ts';
import { freshOrReauthenticate } from '../first_party/guard.ts';
import { companyOfRequest, renderConsole } from './render.ts';

/** GET …/security/mfa/reset: Reset MFA for Users. Viewers see the page; only managers may reset. */
export async function showReset(ctx: ConsoleContext, deps: ConsoleDeps): Promise<void> {
  const entry = await companyOfRequest(ctx, deps);
  if (!entry) return;
  await renderConsole(ctx, deps, 'admin/mfa_reset', 'Reset MFA for Users', { canManage: entry.access === 'manage', email: '' }, { company: entry });
}

/** POST …/security/mfa/reset: the eligibility checklist, then the reset (admin/service.ts). */
export async function submitReset(ctx: ConsoleContext, deps: ConsoleDeps): Promise<void> {
  const entry = await companyOfRequest(ctx, deps);
  if (!entry) return;
  const companyId = entry.company.id;
  const adminId = ctx.state.signedIn.record.userId;
  const form = readForm(ctx, ResetForm);
  if (!form.ok) {
    await renderConsole(ctx, deps, 'admin/mfa_reset', 'Reset MFA for Users', { canManage: entry.access === 'manage', email: '', error: form.message }, { company: entry, status: 400 });
    return;
  }
  const action = { kind: 'reset' as const, companyId, email: form.value.email, identityVerified: form.value.identityVerified };
  if (!(await freshOrReauthenticate(ctx, deps, action, ctx.path))) return;
  const outcome = await runAction(deps, adminId, action, requestMeta(ctx));
  if (outcome.status === 'refused') {
    // The form stays filled in, so the admin can correct it.
    await renderConsole(ctx, deps, 'admin/mfa_reset', 'Reset MFA for Users', { canManage: entry.access === 'manage', email: form.value.email, error: outcome.notice.text }, { company: entry, status: 422 });
    return;
  }
  await deps.sessions.save(ctx, ctx.state.signedIn.sessionId, { ...ctx.state.signedIn.record, notice: outcome.notice });
  ctx.status = 303;
  ctx.redirect(outcome.redirect);
}
