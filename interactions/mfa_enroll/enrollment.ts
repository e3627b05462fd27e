import { z } from 'zod';
import { renderPage } from '../render.ts';
import { finishInteraction, interactionAccountId, type InteractionContext, type InteractionDeps } from '../context.ts';
import { readForm } from '../forms.ts';
import { enrollDetailsOf, factorContext, finishMfa } from '../mfa/flow.ts';
import { refuseEnrollment } from './opening.ts';

const RecoveryAckForm = z.object({ saved: z.literal('yes') });

/** "Two-Factor Authentication Required", with "Skip for now" only when the gate allowed it. */
export function showEnrollmentRequired(ctx: InteractionContext): Promise<void> {
  const decided = enrollDetailsOf(ctx);
  renderPage(ctx, 'mfa_enroll/mfa_required', { title: 'Two-Factor Authentication Required' }, {
    uid: ctx.state.interaction.uid,
    deadline: decided.deadline,
    canSkip: decided.canSkip,
  });
  return Promise.resolve();
}

export async function skipEnrollment(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  if (!enrollDetailsOf(ctx).canSkip) ctx.throw(403, 'Two-factor authentication is required for your account and cannot be skipped.');
  // The skip holds for this authentication only (loginTs is not in the interaction's copy of the session).
  const sessionUid = ctx.state.interaction.session?.uid;
  const session = sessionUid ? await deps.provider.Session.findByUid(sessionUid) : undefined;
  if (!sessionUid || session?.loginTs === undefined) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  await deps.mfa.skipEnrollment(interactionAccountId(ctx), { sessionUid, authTime: session.loginTs }, factorContext(ctx));
  await finishInteraction(ctx, {});
}

/**
 * "Continue" from the "already set up" page: resumes with no result, so oidc-provider asks the gate
 * again, which leads to the challenge of the factor the account has now. Resuming grants nothing.
 */
export async function resumeAfterStaleEnrollment(ctx: InteractionContext): Promise<void> {
  await finishInteraction(ctx, {});
}

/** "Select an Authentication Method": every registered method, or why this account may not use it. */
export async function showMethods(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const decided = enrollDetailsOf(ctx);
  const opening = await deps.mfa.openEnrollment({ userId: interactionAccountId(ctx), sessionUid: ctx.state.interaction.session?.uid, decided, context: factorContext(ctx) });
  if (!opening.ok) {
    refuseEnrollment(ctx, opening.reason);
    return;
  }
  renderPage(ctx, 'mfa_enroll/mfa_methods', { title: 'Select an Authentication Method' }, {
    uid: ctx.state.interaction.uid,
    recovered: decided.recovery === 'here',
    methods: deps.mfa.methods.map((method) => ({
      label: method.label,
      description: method.texts.description,
      path: method.entry.enroll,
      refusal: method.enrollmentRefusal(decided.allowed),
    })),
  });
}

/** The new recovery code of this sign-in's enrollment, readable until the user confirms they saved it. */
async function pendingRecoveryCode(ctx: InteractionContext, deps: InteractionDeps): Promise<string> {
  const code = await deps.mfa.pendingRecoveryCode(interactionAccountId(ctx), ctx.state.interaction.uid);
  if (code === undefined) ctx.throw(400, 'There is no recovery code to save in this sign-in. Start again.');
  return code;
}

/** "Save Your Recovery Code". */
export async function showRecoveryCode(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const code = await pendingRecoveryCode(ctx, deps);
  renderPage(ctx, 'mfa_enroll/recovery_code_save', { title: 'Save Your Recovery Code' }, { uid: ctx.state.interaction.uid, code });
}

export async function downloadRecoveryCode(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const code = await pendingRecoveryCode(ctx, deps);
  ctx.set('Cache-Control', 'no-store');
  ctx.attachment('recovery-code.txt');
  ctx.type = 'text/plain';
  ctx.body = `Recovery code: ${code}\n\nKeep it somewhere safe, apart from your authenticator app. It works once.\n`;
}

/** "I have saved it": the enrollment is over, and MFA is recorded on the session. */
export async function acknowledgeRecoveryCode(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const code = await pendingRecoveryCode(ctx, deps);
  if (!readForm(ctx, RecoveryAckForm).ok) {
    renderPage(ctx, 'mfa_enroll/recovery_code_save', { title: 'Save Your Recovery Code', status: 400 }, {
      uid: ctx.state.interaction.uid,
      code,
      error: 'Confirm that you have saved this code before you continue.',
    });
    return;
  }
  const earned = await deps.mfa.finishEnrollment(ctx.state.interaction.uid);
  if (earned === undefined) ctx.throw(400, 'There is no recovery code to save in this sign-in. Start again.');
  await finishMfa(ctx, deps, earned);
}
