import type { ScreenRoute } from '../../mfa/screens.ts';
import { AuthenticatorSelfService } from '../../self_service/authenticator.ts';
import type { SitePages } from '../first_party/routes.ts';
import { requestMeta } from '../request_meta.ts';
import { flowIdOf, SECURITY, type AccountContext, type AccountDeps } from './context.ts';
import { afterMethodStored, guardedMfaFlow, keptSession, message, redirect, mountEnrollScreens, runEnrollmentScreen, showSetupResult } from './flow_helpers.ts';

/**
 * Password & Security › Add Authenticator App / Change Authenticator App, and enrolling early
 * (self_service/authenticator.ts): the authenticator method's own enrollment screens ("Secure your
 * Account": the QR code, the otpauth link, the setup key to copy, "Enter the 6-digit verification
 * code", Continue), mounted under /account/security/app (`${APP}/mfa/totp`). Every page asks for the
 * step-up first and refuses accounts whose MFA the company's IdP runs; a re-verification comes back
 * to the start of the flow.
 */

const APP = `${SECURITY}/app`;

export function appPages(deps: AccountDeps): SitePages<AccountDeps> {
  const service = new AuthenticatorSelfService(deps);
  const pages: SitePages<AccountDeps> = { get: { '/security/app': (ctx, d) => start(ctx, d, service) }, post: {} };
  mountEnrollScreens(pages, deps.mfa.method('totp').screens, '/security/app', (ctx, d, screen) => runSetupScreen(ctx, d, service, screen));
  return pages;
}

/** GET …/app: starts (or starts again) the flow, then the setup page. */
async function start(ctx: AccountContext, deps: AccountDeps, service: AuthenticatorSelfService): Promise<void> {
  if (!(await guardedMfaFlow(ctx, deps, APP))) return;
  const begun = await service.begin(ctx.state.signedIn.record.userId, flowIdOf(ctx));
  if (begun.ok) {
    redirect(ctx, `${APP}/${deps.mfa.method('totp').entry.enroll}`);
    return;
  }
  switch (begun.reason) {
    case 'recovering':
      message(ctx, 409, 'Finish Your Recovery First', 'A recovery code was used on your account: set up two-factor authentication in the sign-in where it was used.', SECURITY);
      return;
    case 'idp_managed':
      ctx.throw(403, "Your multi-factor authentication is managed by your company's identity provider.");
      break;
    case 'no_user':
      ctx.throw(400, 'There is no signed-in user for this request.');
  }
}

/** One of the authenticator method's setup screens, within this session's flow. */
async function runSetupScreen(ctx: AccountContext, deps: AccountDeps, service: AuthenticatorSelfService, screen: Extract<ScreenRoute, { step: 'mfa_enroll' }>): Promise<void> {
  if (!(await guardedMfaFlow(ctx, deps, APP))) return;
  const flowId = flowIdOf(ctx);
  const opened = await service.open(ctx.state.signedIn.record.userId, flowId, requestMeta(ctx));
  if (!opened.ok) {
    // A page opened out of turn starts the flow again; a form posted out of turn changes nothing.
    if (ctx.method === 'GET') redirect(ctx, APP);
    else if (opened.reason === 'idp_managed') ctx.throw(403, "Your multi-factor authentication is managed by your company's identity provider.");
    else message(ctx, 409, 'Start Again', 'This change has expired or was started again. Nothing was changed.', APP);
    return;
  }
  const { enrollment } = opened;
  // The phone has its own flow on this page: the setup page offers no other method.
  const { committed, result } = await runEnrollmentScreen(ctx, screen, { enrollment, others: [], commit: (code) => service.commit(enrollment, code, flowId, keptSession(ctx)) });
  if (committed) {
    const { mode, recoveryCode } = committed;
    await afterMethodStored(ctx, deps, recoveryCode, mode === 'change' ? 'Your authenticator app was changed: use the new app from now on, the old one no longer works. Your other sessions were signed out.' : 'Your authenticator app was added: you can now sign in with its codes.');
    return;
  }
  showSetupResult(ctx, result, { base: APP, viewsDir: deps.mfa.method('totp').viewsDir, stale: 'Your sign-in methods changed while you were doing this, so the new app was not saved. Your current methods still work. Start again.' });
}

