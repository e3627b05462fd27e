import type { RequestMeta } from '../../audit/security_events.ts';
import { RESET_REFUSAL_MESSAGES } from '../../admin/reset_eligibility.ts';
import type { ConsoleDeps } from './context.ts';
import type { PendingAction } from './session.ts';

/** What a change did: the page to show next, and what it says there. */
export interface ActionOutcome {
  status: 'done' | 'refused' | 'not_found';
  redirect: string;
  notice: { tone: 'ok' | 'error'; text: string };
}

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

function notFound(): ActionOutcome {
  return { status: 'not_found', redirect: '/admin', notice: { tone: 'error', text: 'That company was not found.' } };
}
