import type { User } from '../../directory/types.ts';
import type { AttemptResult } from '../../mfa/mfa.ts';
import type { SmsFactor } from '../../mfa/factors/sms.ts';
import type { TotpFactor } from '../../mfa/factors/totp.ts';
import { renderPage } from '../../views/render.ts';
import { maskPhone } from '../../mfa/sms_rules.ts';
import { requirePrompt, type InteractionContext } from '../context.ts';
import { readForm } from '../forms.ts';
import { finishMfa, interactionAccount, interactionAccountId, interactionUser, readFlow, requestMeta, writeFlow, type MfaRouteDeps } from './flow.ts';
import { CodeForm, RecoveryCodeForm } from './forms.ts';

const WRONG_CODE = 'That code is not right or has expired. Enter the current code from your authenticator app.';
const MALFORMED_CODE = 'Enter the 6-digit code from your authenticator app.';
const WRONG_RECOVERY = 'That recovery code is not valid. Check it and try again.';

/**
 * The challenge: "How Do You Want to Verify Your Identity" when several methods are active (the
 * last one used is the default), otherwise straight to the code. A recovery code is always offered.
 */
export async function showChallenge(ctx: InteractionContext, deps: MfaRouteDeps): Promise<void> {
  const [account, flow] = await Promise.all([interactionAccount(ctx, deps.mfa), readFlow(ctx, deps.mfa)]);
  if (flow.recovered) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/methods`);
    return;
  }
  const { user, methods, preferred, phone } = account;
  if (methods.length > 1) {
    renderPage(ctx, 'mfa_choose', { title: 'How Do You Want to Verify Your Identity' }, {
      uid: ctx.state.interaction.uid,
      methods,
      preferred: preferred ?? methods[0],
      maskedPhone: phone ? maskPhone(phone.e164) : '',
    });
    return;
  }
  if (methods[0] === 'sms' && phone) {
    // A text is sent only on an explicit POST, never on a GET that a browser may prefetch.
    renderPage(ctx, 'sms_send', { title: 'Verify Your Identity' }, { uid: ctx.state.interaction.uid, maskedPhone: maskPhone(phone.e164) });
    return;
  }
  showCodePage(ctx, user);
}

function showCodePage(ctx: InteractionContext, user: User, error?: { message: string; status: number }): void {
  renderPage(ctx, 'totp_verify', { title: 'Enter Your 6-digit Verification Code', status: error?.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    error: error?.message,
    email: user.email,
  });
}

/** The chosen method's code page (the chooser submits here). */
export function showVerify(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    requirePrompt(ctx, 'mfa');
    showCodePage(ctx, await interactionUser(ctx, deps.mfa));
  };
}

/**
 * One challenge attempt with an app or SMS code. Success finishes MFA (and makes the method the
 * default), a lock answers with the lock page; a plain failure is returned for the step's own page.
 */
export async function attemptCode(ctx: InteractionContext, deps: MfaRouteDeps, factor: TotpFactor | SmsFactor): Promise<'malformed' | 'invalid' | undefined> {
  requirePrompt(ctx, 'mfa');
  const accountId = interactionAccountId(ctx);
  const form = readForm(ctx, CodeForm);
  const result: AttemptResult = await deps.mfa.attempt(accountId, factor, form.ok ? form.value.code : '', requestMeta(ctx));
  if (result.outcome === 'not_allowed') ctx.throw(403, 'This verification method is not available for your account.');
  if (result.outcome === 'success') {
    await Promise.all([deps.mfa.deps.store.setPreferredMethod(accountId, factor.id), finishMfa(ctx, deps, factor.amr, { clearFlow: false })]);
    return undefined;
  }
  if (result.outcome === 'locked') {
    await showLocked(ctx, deps, result);
    return undefined;
  }
  return result.reason;
}

export function submitTotp(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const failure = await attemptCode(ctx, deps, deps.mfa.totp);
    if (failure) showCodePage(ctx, await interactionUser(ctx, deps.mfa), { message: failure === 'malformed' ? MALFORMED_CODE : WRONG_CODE, status: 401 });
  };
}

/** "Use a recovery code". */
export function showRecoveryEntry(ctx: InteractionContext, error?: { message: string; status: number }): void {
  requirePrompt(ctx, 'mfa');
  renderPage(ctx, 'recovery_code_enter', { title: 'Use a Recovery Code', status: error?.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    error: error?.message,
  });
}

/**
 * A correct recovery code signs the user in, but the device is treated as lost: the authenticator
 * and the phone number are removed and the user goes on to set up a new factor, which issues a new
 * recovery code to save.
 */
export function submitRecoveryCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    requirePrompt(ctx, 'mfa');
    const accountId = interactionAccountId(ctx);
    // The recovery belongs to this browser session: only it may enroll the new factor.
    const sessionUid = ctx.state.interaction.session?.uid;
    if (!sessionUid) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
    const form = readForm(ctx, RecoveryCodeForm);
    const result = await deps.mfa.attempt(accountId, deps.mfa.recoveryCode, form.ok ? form.value.recovery_code : '', requestMeta(ctx));
    if (result.outcome === 'locked') {
      await showLocked(ctx, deps, result);
      return;
    }
    if (result.outcome === 'failed' || result.outcome === 'not_allowed') {
      showRecoveryEntry(ctx, { message: WRONG_RECOVERY, status: 401 });
      return;
    }
    await deps.mfa.forgetLostDevice(accountId, sessionUid);
    await writeFlow(ctx, deps.mfa, { recovered: true, amr: [...deps.mfa.recoveryCode.amr] });
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/methods`);
  };
}

/**
 * Too many failures. The failure that triggers the lock also ends this sign-in and its browser
 * session, so the user must start again with the password once the lock has passed. The session is
 * found by its uid, which stays the same when another tab's sign-in rotates the session id.
 */
export async function showLocked(ctx: InteractionContext, deps: MfaRouteDeps, result: { retryAfterSeconds: number; justLocked: boolean }): Promise<void> {
  const { interaction } = ctx.state;
  if (result.justLocked) {
    const sessionUid = interaction.session?.uid;
    const session = sessionUid ? await deps.provider.Session.findByUid(sessionUid) : undefined;
    await session?.destroy();
    await interaction.destroy();
  }
  const minutes = Math.max(1, Math.ceil(result.retryAfterSeconds / 60));
  ctx.set('Retry-After', String(result.retryAfterSeconds));
  renderPage(ctx, 'message', { title: 'Too many attempts', status: 429 }, {
    tone: 'error',
    message: `Too many failed verification attempts. For your security, verification is paused. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    action: result.justLocked ? { href: '/', label: 'Start again' } : undefined,
  });
}
