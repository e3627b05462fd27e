import { z } from 'zod';
import { isMethodId, type MethodId } from '../../mfa/registry.ts';
import { renderPage } from '../render.ts';
import { interactionAccountId, type InteractionContext, type InteractionDeps } from '../context.ts';
import { readForm } from '../forms.ts';
import { runChallengeScreen } from '../method_screens.ts';
import { attemptContext, challengeDetailsOf, decideAgain, redirectWithin, showLocked } from './flow.ts';

const MethodForm = z.object({ method: z.custom<MethodId>(isMethodId) });
const RecoveryCodeForm = z.object({ recovery_code: z.string().max(128) });
const WRONG_RECOVERY = 'That recovery code is not valid. Check it and try again.';

/**
 * The challenge: "How Do You Want to Verify Your Identity" when several methods are usable (the
 * last one used is the default), otherwise the one method's own first screen. A recovery code is
 * always offered.
 */
export async function showChallenge(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const decided = challengeDetailsOf(ctx);
  const [only] = decided.methods;
  if (decided.methods.length === 1 && only !== undefined) {
    const method = deps.mfa.method(only);
    await runChallengeScreen(ctx, deps, method, (request) => method.landing(request));
    return;
  }
  renderPage(ctx, 'mfa/mfa_choose', { title: 'How Do You Want to Verify Your Identity' }, {
    uid: ctx.state.interaction.uid,
    choices: decided.methods.map((id) => ({ id, label: deps.mfa.method(id).texts.choice, hint: decided.hints[id] })),
    preferred: decided.preferred,
  });
}

/** The chooser (and a method's "send" button) posts here: the method starts its challenge. */
export async function chooseMethod(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const form = readForm(ctx, MethodForm);
  if (!form.ok) ctx.throw(400, 'Choose how you want to verify your identity.');
  const method = deps.mfa.method(form.value.method);
  await runChallengeScreen(ctx, deps, method, (request) => method.begin(request));
}

/** "Use a recovery code". */
export function showRecoveryEntry(ctx: InteractionContext, error?: { message: string; status: number }): Promise<void> {
  renderPage(ctx, 'mfa/recovery_code_enter', { title: 'Use a Recovery Code', status: error?.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    error: error?.message,
  });
  return Promise.resolve();
}

/**
 * A correct recovery code signs the user in, but the device is treated as lost (Mfa.recover): the
 * gate, asked again, now wants a new factor, so this sign-in moves on to setting one up, which
 * issues a new recovery code to save.
 */
export async function submitRecoveryCode(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  // The recovery belongs to this browser session: only it may enroll the new factor.
  const sessionUid = ctx.state.interaction.session?.uid;
  if (!sessionUid) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  const form = readForm(ctx, RecoveryCodeForm);
  const result = await deps.mfa.recover(interactionAccountId(ctx), form.ok ? form.value.recovery_code : '', { ...attemptContext(ctx), sessionUid });
  if (result.outcome === 'locked') {
    showLocked(ctx, result);
    return;
  }
  if (result.outcome !== 'success') {
    await showRecoveryEntry(ctx, { message: WRONG_RECOVERY, status: 401 });
    return;
  }
  const step = await decideAgain(ctx, deps);
  if (step === 'mfa_enroll') redirectWithin(ctx, 'mfa/methods');
  else if (step !== 'none') ctx.redirect(`/interaction/${ctx.state.interaction.uid}`);
}
