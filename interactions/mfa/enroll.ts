import { canSkipEnrollment } from '../../mfa/gate.ts';
import { SMS_REFUSAL_MESSAGES } from '../../mfa/sms_rules.ts';
import { enrollmentVerdict } from '../../mfa/usable_methods.ts';
import type { MfaAccount } from '../../mfa/mfa.ts';
import { renderPage } from '../../views/render.ts';
import { readForm } from '../forms.ts';
import { CodeForm, RecoveryAckForm } from './forms.ts';
import type { InteractionContext } from '../context.ts';
import type { EnrollOutcome } from '../../mfa/factor.ts';
import type { SmsFactor } from '../../mfa/factors/sms.ts';
import type { TotpFactor } from '../../mfa/factors/totp.ts';
import { finishInteraction } from '../context.ts';
import { finishMfa, interactionAccount, interactionUser, readFlow, requestMeta, stepUpOf, writeFlow, type MfaRouteDeps } from './flow.ts';

/**
 * Every enrollment request starts here. The step must be one where enrolling is possible (the
 * mfa_enroll prompt, or the mfa prompt right after a recovery code), and the account, as stored now,
 * must have no usable factor (and, during a recovery, this must be the browser that used the code):
 * the prompt was decided when the sign-in began, and another browser may have enrolled since. Returns the account to enroll, or undefined when the response is sent.
 */
export async function openEnrollment(ctx: InteractionContext, deps: MfaRouteDeps): Promise<MfaAccount | undefined> {
  const prompt = ctx.state.interaction.prompt.name;
  const [account, flow] = await Promise.all([interactionAccount(ctx, deps.mfa), readFlow(ctx, deps.mfa)]);
  const atEnrollmentStep = prompt === 'mfa_enroll' || (prompt === 'mfa' && flow.recovered === true);
  if (!atEnrollmentStep) ctx.throw(400, 'This step is not available right now. Go back to the application and sign in again.');
  const verdict = enrollmentVerdict({ usable: account.methods, recoveringSession: account.factors.recoveringSession, sessionUid: ctx.state.interaction.session?.uid });
  if (verdict === 'open') return account;
  if (verdict === 'recovering_elsewhere') {
    ctx.state.log.warn({ event: 'mfa.recovery_enrollment_refused', userId: account.user.id }, 'enrollment refused: the account is recovering in another session');
    ctx.throw(403, 'Your recovery code was used in another browser. Finish setting up there, or ask your company administrator to reset your two-factor authentication.');
  }
  if (flow.sealedRecoveryCode) {
    // This sign-in enrolled a moment ago (a double-submitted form): show its recovery code again.
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/recovery-code`);
    return undefined;
  }
  refuseStaleEnrollment(ctx, account);
  return undefined;
}

/**
 * The screen is stale, or a commit lost its compare-and-set: nothing was stored. The page changes
 * no state (a losing double-submit must not end the winner's sign-in); its Continue resumes.
 */
export function refuseStaleEnrollment(ctx: InteractionContext, account: MfaAccount): void {
  ctx.state.log.warn({ event: 'mfa.stale_enrollment_refused', userId: account.user.id }, 'enrollment refused: the account has a factor now');
  renderPage(ctx, 'mfa_already_enrolled', { title: 'Two-Factor Authentication Is Already Set Up', status: 409 }, { uid: ctx.state.interaction.uid });
}

/**
 * "Continue" from that page: resumes with no result, so oidc-provider asks the gate again, which
 * leads to the challenge of the factor the account has now. Resuming grants nothing by itself.
 */
export function resumeAfterStaleEnrollment() {
  return async (ctx: InteractionContext): Promise<void> => {
    const prompt = ctx.state.interaction.prompt.name;
    if (prompt !== 'mfa_enroll' && prompt !== 'mfa') ctx.throw(400, 'This step is not available right now.');
    await finishInteraction(ctx, {});
  };
}

/** "Two-Factor Authentication Required", with "Skip for now" only while enrollment is optional. */
export async function showEnrollmentRequired(ctx: InteractionContext, deps: MfaRouteDeps): Promise<void> {
  const account = await interactionAccount(ctx, deps.mfa);
  const { requirement } = account;
  renderPage(ctx, 'mfa_required', { title: 'Two-Factor Authentication Required' }, {
    uid: ctx.state.interaction.uid,
    deadline: requirement.kind === 'optional_enrollment' ? requirement.deadline : undefined,
    canSkip: canSkipEnrollment(requirement, stepUpOf(ctx)),
  });
}

export function skipEnrollment(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    if (ctx.state.interaction.prompt.name !== 'mfa_enroll') ctx.throw(400, 'This step is not available right now.');
    const account = await interactionAccount(ctx, deps.mfa);
    if (!canSkipEnrollment(account.requirement, stepUpOf(ctx))) {
      ctx.throw(403, 'Two-factor authentication is required for your account and cannot be skipped.');
    }
    // The skip holds for this authentication only (loginTs is not in the interaction's copy of the session).
    const sessionUid = ctx.state.interaction.session?.uid;
    const session = sessionUid ? await deps.provider.Session.findByUid(sessionUid) : undefined;
    if (!sessionUid || session?.loginTs === undefined) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
    await deps.mfa.skipEnrollment(account.user, { sessionUid, authTime: session.loginTs }, requestMeta(ctx));
    await finishInteraction(ctx, {});
  };
}

/** "Select an Authentication Method". */
export function showMethods(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const account = await openEnrollment(ctx, deps);
    if (!account) return;
    const sms = account.requirement.methods.sms;
    renderPage(ctx, 'mfa_methods', { title: 'Select an Authentication Method' }, {
      uid: ctx.state.interaction.uid,
      recovered: (await readFlow(ctx, deps.mfa)).recovered === true,
      smsRefusal: sms.allowed ? undefined : SMS_REFUSAL_MESSAGES[sms.reason],
    });
  };
}

/** "Secure your Account": QR code, otpauth link, setup key, then the first code. */
export function showTotpSetup(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const account = await openEnrollment(ctx, deps);
    if (account) await renderTotpSetup(ctx, deps, account);
  };
}

async function renderTotpSetup(ctx: InteractionContext, deps: MfaRouteDeps, { user }: MfaAccount, error?: { message: string; status: number }): Promise<void> {
  const setup = await deps.mfa.totp.startEnrollment(user, ctx.state.interaction.uid);
  renderPage(ctx, 'totp_setup', { title: 'Secure your Account', status: error?.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    qr: setup.qrPngDataUrl,
    uri: setup.uri,
    groupedKey: setup.groupedKey,
    error: error?.message,
  });
}

export function confirmTotp(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const account = await openEnrollment(ctx, deps);
    if (!account) return;
    const form = readForm(ctx, CodeForm);
    const outcome: EnrollOutcome = form.ok
      ? await deps.mfa.totp.confirmEnrollment(account.user, ctx.state.interaction.uid, form.value.code, account.factors.version)
      : { ok: false, reason: 'malformed' };
    if (!outcome.ok && outcome.reason === 'stale') {
      refuseStaleEnrollment(ctx, account);
      return;
    }
    if (!outcome.ok) {
      const message = outcome.reason === 'malformed' ? 'Enter the 6-digit code from your authenticator app.' : 'That code is not right or has expired. Enter the current code from your authenticator app.';
      await renderTotpSetup(ctx, deps, account, { message, status: 400 });
      return;
    }
    await completeEnrollment(ctx, deps, account, deps.mfa.totp);
  };
}

/**
 * After a commit: the event (and its email), the method becomes the default, and a new recovery
 * code is issued and kept sealed until the user confirms they saved it.
 */
export async function completeEnrollment(ctx: InteractionContext, deps: MfaRouteDeps, account: MfaAccount, factor: TotpFactor | SmsFactor): Promise<void> {
  const { user } = account;
  // What the account had of this kind when the enrollment was decided (an unusable phone, say).
  const replaced = factor.id === 'totp' ? account.factors.totp : account.factors.phone !== undefined;
  const meta = requestMeta(ctx);
  const { events } = deps.mfa;
  // The sealed code goes into the flow first, so that a double-submitted form finds it (see openEnrollment).
  const code = await deps.mfa.recoveryCode.issue(user.id);
  const flow = await readFlow(ctx, deps.mfa);
  await writeFlow(ctx, deps.mfa, {
    ...flow,
    pendingPhone: undefined,
    amr: [...(flow.amr ?? []), ...factor.amr],
    sealedRecoveryCode: deps.mfa.deps.box.seal(code, user.id),
  });
  await deps.mfa.deps.store.setPreferredMethod(user.id, factor.id);
  await events.record(replaced ? 'mfa.authenticator_replaced' : 'mfa.enrolled', user, meta, { factor: factor.id });
  await events.record('mfa.recovery_code_issued', user, meta);
  ctx.status = 303;
  ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/recovery-code`);
}

/** The new recovery code, readable until the user confirms they saved it. */
async function pendingRecoveryCode(ctx: InteractionContext, deps: MfaRouteDeps): Promise<{ code: string; earned: string[] }> {
  const user = await interactionUser(ctx, deps.mfa);
  const flow = await readFlow(ctx, deps.mfa);
  if (!flow.sealedRecoveryCode) ctx.throw(400, 'There is no recovery code to save in this sign-in. Start again.');
  return { code: deps.mfa.deps.box.open(flow.sealedRecoveryCode, user.id), earned: flow.amr ?? [] };
}

/** "Save Your Recovery Code". */
export function showRecoveryCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const { code } = await pendingRecoveryCode(ctx, deps);
    renderPage(ctx, 'recovery_code_save', { title: 'Save Your Recovery Code' }, { uid: ctx.state.interaction.uid, code });
  };
}

export function downloadRecoveryCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const { code } = await pendingRecoveryCode(ctx, deps);
    ctx.set('Cache-Control', 'no-store');
    ctx.attachment('recovery-code.txt');
    ctx.type = 'text/plain';
    ctx.body = `Recovery code: ${code}\n\nKeep it somewhere safe, apart from your authenticator app. It works once.\n`;
  };
}

export function acknowledgeRecoveryCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const { code, earned } = await pendingRecoveryCode(ctx, deps);
    if (!readForm(ctx, RecoveryAckForm).ok) {
      renderPage(ctx, 'recovery_code_save', { title: 'Save Your Recovery Code', status: 400 }, {
        uid: ctx.state.interaction.uid,
        code,
        error: 'Confirm that you have saved this code before you continue.',
      });
      return;
    }
    await finishMfa(ctx, deps, earned, { clearFlow: true });
  };
}
