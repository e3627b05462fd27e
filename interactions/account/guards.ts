import { mfaRunByIdp } from '../../mfa/policy.ts';
import { renderPage } from '../render.ts';
import { SECURITY, type AccountContext, type AccountDeps } from './context.ts';

/**
 * Accounts whose company login is SSO with `mfa: "idp"` (and no Procore Pay role, which needs our
 * MFA) have no MFA controls here: the page hides them, and every MFA flow (app, phone, recovery
 * code, remove, preferred) refuses a direct request too. True when it answered 403.
 */
export async function refuseWhenIdpManaged(ctx: AccountContext, deps: AccountDeps): Promise<boolean> {
  const requirement = await deps.mfa.requirementOf(ctx.state.signedIn.record.userId);
  if (!requirement) ctx.throw(400, 'There is no signed-in user for this request.');
  if (!mfaRunByIdp(requirement)) return false;
  renderPage(ctx, 'message', { title: 'Managed by Your Company', status: 403 }, {
    tone: 'error',
    message: "Your multi-factor authentication is managed by your company's identity provider.",
    action: { href: SECURITY, label: 'Back to Password & Security' },
  });
  return true;
}
