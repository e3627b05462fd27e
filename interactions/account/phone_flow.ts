import { join } from 'node:path';
import type { AllowedMethods } from '../../mfa/policy.ts';
import { notSentPage, USE_THE_APP } from '../../mfa/phone_change.ts';
import { postedCode, type OtherWay, type ScreenRoute } from '../../mfa/screens.ts';
import { PhoneSelfService } from '../../self_service/phone.ts';
import type { SitePages } from '../first_party/routes.ts';
import { renderPage } from '../render.ts';
import { requestMeta } from '../request_meta.ts';
import { flowIdOf, SECURITY, type AccountContext, type AccountDeps } from './context.ts';
import { afterMethodStored, guardedMfaFlow, keptSession, message, redirect, mountEnrollScreens, runEnrollmentScreen, showSetupResult } from './flow_helpers.ts';

/**
 * Password & Security › Add Phone Number / Change Phone Number (self_service/phone.ts): the current
 * phone's code first when there is one, then the SMS method's own enrollment screens, mounted under
 * /account/security/phone (`${PHONE}/mfa/sms`…) so the number rules, the send limits and the pages
 * are those of enrollment. Every page asks for the step-up first and refuses accounts whose MFA the
 * company's IdP runs; a re-verification comes back to the start of the flow.
 */

const PHONE = `${SECURITY}/phone`;
const CURRENT = `${PHONE}/current`;
const WRONG_CODE = 'That code is not right or has expired. Check the latest text message, or send a new code.';
const MALFORMED_CODE = 'Enter the 6-digit code from the text message.';

export function phonePages(deps: AccountDeps): SitePages<AccountDeps> {
  const service = new PhoneSelfService(deps);
  const pages: SitePages<AccountDeps> = {
    get: {
      '/security/phone': (ctx, d) => start(ctx, d, service),
      '/security/phone/current': (ctx, d) => showCurrentCode(ctx, d, service),
      // The setup page's links ("authenticator app", "Choose another method") lead back to the page's own flows.
      '/security/phone/mfa/totp': goTo(`${SECURITY}/app`),
      '/security/phone/mfa/methods': goTo(SECURITY),
    },
    post: {
      '/security/phone/current/send': (ctx, d) => sendCurrentCode(ctx, d, service),
      '/security/phone/current': (ctx, d) => proveCurrentPhone(ctx, d, service),
    },
  };
  mountEnrollScreens(pages, deps.mfa.method('sms').screens, '/security/phone', (ctx, d, screen) => runNewNumberScreen(ctx, d, service, screen));
  return pages;
}

/** GET …/phone: starts (or starts again) the flow; a change first sends a code to the current phone, on a POST. */
async function start(ctx: AccountContext, deps: AccountDeps, service: PhoneSelfService): Promise<void> {
  if (!(await guardedMfaFlow(ctx, deps, PHONE))) return;
  const begun = await service.begin(ctx.state.signedIn.record.userId, flowIdOf(ctx));
  if (begun.ok) {
    if (begun.mode === 'change' && begun.current) renderPage(ctx, 'account/phone_current', { title: 'Confirm Your Current Phone Number' }, { csrf: ctx.state.signedIn.record.csrf, masked: begun.current.masked });
    else redirect(ctx, `${PHONE}/mfa/sms`);
    return;
  }
  switch (begun.reason) {
    case 'sms_not_allowed':
      renderPage(ctx, smsView(deps, 'sms_unavailable'), { title: 'SMS Verification Is Not Available', status: 403 }, { ...pageBase(ctx), message: `${begun.message} ${USE_THE_APP}`, enrolling: true, others: othersThanSms(deps, undefined) });
      return;
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

/** POST …/phone/current/send: "Send Text Message" to the current phone (and "Resend New Code"). */
async function sendCurrentCode(ctx: AccountContext, deps: AccountDeps, service: PhoneSelfService): Promise<void> {
  if (!(await guardedMfaFlow(ctx, deps, PHONE))) return;
  const sent = await service.sendCurrentCode(ctx.state.signedIn.record.userId, flowIdOf(ctx), requestMeta(ctx));
  if (sent.ok) redirect(ctx, CURRENT);
  else if (sent.reason === 'no_flow') redirect(ctx, PHONE);
  else showSetupResult(ctx, notSentPage(sent, othersThanSms(deps, undefined), true), { base: PHONE, viewsDir: deps.mfa.method('sms').viewsDir, stale: '' });
}

/** GET …/phone/current: "Enter the 6-Digit Verification Code" sent to the current phone. */
async function showCurrentCode(ctx: AccountContext, deps: AccountDeps, service: PhoneSelfService): Promise<void> {
  if (!(await guardedMfaFlow(ctx, deps, PHONE))) return;
  const current = await service.currentPhone(ctx.state.signedIn.record.userId, flowIdOf(ctx));
  if (current) currentCodePage(ctx, deps, current.masked);
  else redirect(ctx, PHONE);
}

/** POST …/phone/current: the code from the current phone; only then the new number. */
async function proveCurrentPhone(ctx: AccountContext, deps: AccountDeps, service: PhoneSelfService): Promise<void> {
  if (!(await guardedMfaFlow(ctx, deps, PHONE))) return;
  const { userId } = ctx.state.signedIn.record;
  const proof = await service.proveCurrentPhone(userId, flowIdOf(ctx), postedCode(ctx.request.body), requestMeta(ctx));
  if (proof.ok) {
    redirect(ctx, `${PHONE}/mfa/sms`);
    return;
  }
  const current = proof.reason === 'no_flow' ? undefined : await service.currentPhone(userId, flowIdOf(ctx));
  if (!current) {
    redirect(ctx, PHONE);
    return;
  }
  currentCodePage(ctx, deps, current.masked, proof.reason === 'malformed' ? MALFORMED_CODE : WRONG_CODE);
}

function currentCodePage(ctx: AccountContext, deps: AccountDeps, masked: string, error?: string): void {
  renderPage(ctx, smsView(deps, 'sms_code'), { title: 'Enter the 6-Digit Verification Code', status: error ? 400 : 200 }, { ...pageBase(ctx), action: 'current', resend: 'current/send', masked, ...(error ? { error } : {}) });
}

/** One of the SMS method's enrollment screens, for the new number, once the flow has reached it. */
async function runNewNumberScreen(ctx: AccountContext, deps: AccountDeps, service: PhoneSelfService, screen: Extract<ScreenRoute, { step: 'mfa_enroll' }>): Promise<void> {
  if (!(await guardedMfaFlow(ctx, deps, PHONE))) return;
  const flowId = flowIdOf(ctx);
  const opened = await service.openNewNumber(ctx.state.signedIn.record.userId, flowId, requestMeta(ctx));
  if (!opened.ok) {
    // A page opened out of turn starts the flow again; a form posted out of turn changes nothing.
    if (ctx.method === 'GET') redirect(ctx, PHONE);
    else if (opened.reason === 'current_phone_unproved') message(ctx, 403, 'Confirm Your Current Phone Number', 'Enter the code we sent to your current phone before you set up a new number.', PHONE);
    else if (opened.reason === 'idp_managed') ctx.throw(403, "Your multi-factor authentication is managed by your company's identity provider.");
    else message(ctx, 409, 'Start Again', 'This change has expired or was started again. Nothing was changed.', PHONE);
    return;
  }
  const { enrollment } = opened;
  const others = othersThanSms(deps, enrollment.allowed);
  const { committed, result } = await runEnrollmentScreen(ctx, screen, { enrollment, others, commit: (code) => service.commit(enrollment, code, flowId, keptSession(ctx)) });
  if (committed) {
    const { mode, recoveryCode, masked } = committed;
    await afterMethodStored(ctx, deps, recoveryCode, mode === 'change' ? `Your phone number was changed: sign-in codes now go to ${masked}. Your other sessions were signed out.` : `Your phone number ${masked} was added: sign-in codes can now go to it by text message.`);
    return;
  }
  showSetupResult(ctx, result, { base: PHONE, viewsDir: deps.mfa.method('sms').viewsDir, stale: 'Your sign-in methods changed while you were doing this, so the new number was not saved. Start again.' });
}

/** The other methods one may set up instead, as the SMS pages offer them (`${PHONE}/mfa/totp` leads to the app's flow). */
function othersThanSms(deps: AccountDeps, allowed: AllowedMethods | undefined): OtherWay[] {
  return deps.mfa.methods
    .filter((method) => method.id !== 'sms' && (allowed === undefined || method.enrollmentRefusal(allowed) === undefined))
    .map((method) => ({ label: method.texts.setUpInstead.label, note: method.texts.setUpInstead.note, path: method.entry.enroll }));
}

function smsView(deps: AccountDeps, view: string): string {
  return join(deps.mfa.method('sms').viewsDir, view);
}

/** What the SMS method's templates need to post within this flow. */
function pageBase(ctx: AccountContext): Record<string, unknown> {
  return { base: PHONE, uid: '', csrf: ctx.state.signedIn.record.csrf };
}

function goTo(path: string) {
  return (ctx: AccountContext): Promise<void> => {
    redirect(ctx, path);
    return Promise.resolve();
  };
}
