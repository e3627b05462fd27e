import type { RequestMeta } from '../../audit/security_events.ts';
import { RESET_REFUSAL_MESSAGES } from '../../admin/reset_eligibility.ts';
import type { ActionOutcome } from '../first_party/context.ts';
import type { ConsoleDeps } from './context.ts';
import { PendingAction } from './pending.ts';

/** Carries out a console change, straight from its form or after the re-authentication it waited for. */
export async function runAction(deps: ConsoleDeps, adminId: string, action: PendingAction, meta: RequestMeta): Promise<ActionOutcome> {
  const base = `/admin/companies/${encodeURIComponent(action.companyId)}/security/mfa`;
  if (action.kind === 'settings') {
    const saved = await deps.admin.saveSettings(adminId, action.companyId, { ...action.input, enforcementDate: action.input.enforcementDate }, meta);
    if (!saved) return notFound();
    const text = saved.changed.length === 0 ? 'Nothing changed.' : `Settings saved.${saved.announced > 0 ? ` ${saved.announced} member${saved.announced === 1 ? '' : 's'} will be emailed about the deadline.` : ''}`;
    return { status: 'done', redirect: base, notice: { tone: 'ok', text } };
  }
  const result = await deps.admin.resetMfa(adminId, action.companyId, { email: action.email, identityVerified: action.identityVerified }, meta);
  if (!result) return notFound();
  if (!result.ok) return { status: 'refused', redirect: `${base}/reset`, notice: { tone: 'error', text: RESET_REFUSAL_MESSAGES[result.reason] } };
  return { status: 'done', redirect: `${base}/reset`, notice: { tone: 'ok', text: `MFA was reset for ${result.user.email}. They must set up MFA again the next time they sign in.` } };
}

/** The change a re-authentication waited for, as the session kept it. */
export async function runPendingAction(deps: ConsoleDeps, adminId: string, pending: unknown, meta: RequestMeta): Promise<ActionOutcome> {
  const parsed = PendingAction.safeParse(pending);
  return parsed.success ? runAction(deps, adminId, parsed.data, meta) : notFound();
}

function notFound(): ActionOutcome {
  return { status: 'not_found', redirect: '/admin', notice: { tone: 'error', text: 'That company was not found.' } };
}
