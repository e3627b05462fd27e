import { join } from 'node:path';
import type { MfaMethod } from '../mfa/factor.ts';
import type { ChallengeScreenRequest, OtherWay, ScreenResult, ScreenRoute } from '../mfa/screens.ts';
import type { MethodId } from '../mfa/registry.ts';
import { renderPage } from './render.ts';
import { interactionAccountId, type InteractionContext, type InteractionDeps } from './context.ts';
import { refuseEnrollment } from './mfa_enroll/opening.ts';
import { attemptContext, challengeDetailsOf, enrollDetailsOf, factorContext, finishMfa, redirectWithin, showLocked } from './mfa/flow.ts';

/**
 * Runs a method's screens (mfa/screens.ts) in Koa: gathers the form and the gate's decision, hands
 * the screen the use cases it may call, and turns its result into a response.
 */

/** An enrollment screen: only while the account may enroll without a challenge (see Mfa.openEnrollment). */
export async function runEnrollScreen(ctx: InteractionContext, deps: InteractionDeps, method: MfaMethod<MethodId>, screen: Extract<ScreenRoute, { step: 'mfa_enroll' }>): Promise<void> {
  const decided = enrollDetailsOf(ctx);
  const context = factorContext(ctx);
  const opening = await deps.mfa.openEnrollment({ userId: interactionAccountId(ctx), sessionUid: ctx.state.interaction.session?.uid, decided, context });
  if (!opening.ok) {
    refuseEnrollment(ctx, opening.reason);
    return;
  }
  const { enrollment } = opening;
  const others: OtherWay[] = deps.mfa.methods
    .filter((other) => other.id !== method.id && other.enrollmentRefusal(decided.allowed) === undefined)
    .map((other) => ({ label: other.texts.setUpInstead.label, note: other.texts.setUpInstead.note, path: other.entry.enroll }));
  const result = await screen.handle({ form: ctx.request.body, context, others, enrollment, confirm: (code) => deps.mfa.confirmEnrollment(enrollment, method.id, code) });
  await respond(ctx, deps, method, result);
}

/** A challenge screen: only for a method the gate offered this sign-in. */
export async function runChallengeScreen(ctx: InteractionContext, deps: InteractionDeps, method: MfaMethod<MethodId>, handle: (request: ChallengeScreenRequest) => Promise<ScreenResult>): Promise<void> {
  const request = await challengeRequest(ctx, deps, method);
  await respond(ctx, deps, method, await handle(request));
}

async function challengeRequest(ctx: InteractionContext, deps: InteractionDeps, method: MfaMethod<MethodId>): Promise<ChallengeScreenRequest> {
  const decided = challengeDetailsOf(ctx);
  if (!decided.methods.includes(method.id)) ctx.throw(403, 'This verification method is not available for your account.');
  const userId = interactionAccountId(ctx);
  const user = await deps.directory.findUser(userId);
  if (!user) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  const others: OtherWay[] = [];
  for (const id of decided.methods) {
    const label = deps.mfa.method(id).texts.useInstead;
    if (id !== method.id && label !== undefined) others.push({ label, path: deps.mfa.method(id).entry.challenge });
  }
  const context = attemptContext(ctx);
  return { form: ctx.request.body, context, others, user, hint: decided.hints[method.id], attempt: (code) => deps.mfa.attempt(userId, method.id, code, context) };
}

async function respond(ctx: InteractionContext, deps: InteractionDeps, method: MfaMethod<MethodId>, result: ScreenResult): Promise<void> {
  switch (result.kind) {
    case 'page':
      if (result.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(result.retryAfterSeconds));
      // A method's templates are in its own folder.
      renderPage(ctx, join(method.viewsDir, result.view), { title: result.title, status: result.status ?? 200 }, { uid: ctx.state.interaction.uid, ...result.data });
      return;
    case 'redirect':
      redirectWithin(ctx, result.path);
      return;
    case 'enrolled':
      redirectWithin(ctx, 'mfa/recovery-code');
      return;
    case 'stale':
      refuseEnrollment(ctx, 'stale');
      return;
    case 'attempted':
      if (result.result.outcome === 'success') await finishMfa(ctx, deps, result.result.amr);
      else showLocked(ctx, result.result);
      return;
    case 'refused':
      ctx.throw(result.status, result.message);
  }
}
