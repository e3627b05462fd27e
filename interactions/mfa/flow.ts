import { MFA_PROMPT_REASONS } from '../../provider/interaction_policy.ts';
import { ChallengeDetails, EnrollDetails, type MfaDecision } from '../../mfa/decision.ts';
import type { AttemptContext } from '../../mfa/service.ts';
import type { FactorContext } from '../../mfa/factor.ts';
import { acrClaimFromParam, assuranceAfterMfa } from '../../mfa/gate.ts';
import { renderPage } from '../render.ts';
import { finishInteraction, interactionAccountId, type InteractionContext, type InteractionDeps } from '../context.ts';

const NOT_AVAILABLE = 'This step is not available right now. Go back to the application and sign in again.';

/** What the gate decided for the enrollment step, carried in the prompt's details. */
export function enrollDetailsOf(ctx: InteractionContext): EnrollDetails {
  const parsed = EnrollDetails.safeParse(ctx.state.interaction.prompt.details);
  if (!parsed.success) ctx.throw(400, NOT_AVAILABLE);
  return parsed.data;
}

/** What the gate decided for the challenge step: the methods to offer, the default, the hints. */
export function challengeDetailsOf(ctx: InteractionContext): ChallengeDetails {
  const parsed = ChallengeDetails.safeParse(ctx.state.interaction.prompt.details);
  if (!parsed.success) ctx.throw(400, NOT_AVAILABLE);
  return parsed.data;
}

/** Who is asking, for audit events and limits, and the interaction a code is bound to. */
export function factorContext(ctx: InteractionContext): FactorContext {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent'), interactionId: ctx.state.interaction.uid };
}

export function attemptContext(ctx: InteractionContext): AttemptContext {
  return { ...factorContext(ctx), sessionUid: ctx.state.interaction.session?.uid };
}

/** A user-facing path inside this interaction, e.g. `mfa/verify`. */
function interactionPath(ctx: InteractionContext, path: string): string {
  return `/interaction/${ctx.state.interaction.uid}/${path}`;
}

export function redirectWithin(ctx: InteractionContext, path: string): void {
  ctx.status = 303;
  ctx.redirect(interactionPath(ctx, path));
}

/**
 * Records MFA on the session by re-submitting the login for the same account with the upgraded
 * amr and the multi-factor acr. `ts` becomes now: auth_time is the end of the latest interactive
 * authentication, which the re-verification frequency is measured from.
 */
export async function finishMfa(ctx: InteractionContext, deps: InteractionDeps, earned: readonly string[]): Promise<void> {
  const accountId = interactionAccountId(ctx);
  const { amr, acr } = assuranceAfterMfa(ctx.state.interaction.session?.amr, earned);
  await finishInteraction(ctx, { login: { accountId, amr, acr, remember: true, ts: Math.floor(deps.clock() / 1000) } });
}

/**
 * Too many failures. The failure that set the lock has already ended this sign-in and its browser
 * session (the MFA service did), so the user must start again with the password once it passes.
 */
export function showLocked(ctx: InteractionContext, result: { retryAfterSeconds: number; justLocked: boolean }): void {
  const minutes = Math.max(1, Math.ceil(result.retryAfterSeconds / 60));
  ctx.set('Retry-After', String(result.retryAfterSeconds));
  renderPage(ctx, 'message', { title: 'Too many attempts', status: 429 }, {
    tone: 'error',
    message: `Too many failed verification attempts. For your security, verification is paused. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    action: result.justLocked ? { href: '/', label: 'Start again' } : undefined,
  });
}

/**
 * Asks the gate again, within this interaction, after something that changes its answer (a recovery
 * code was used: the account must now enroll), and moves the interaction to the step it decides.
 * Returns the step; 'none' resumes the authorization, which asks the gate itself.
 */
export async function decideAgain(ctx: InteractionContext, deps: InteractionDeps): Promise<MfaDecision['step']> {
  const { interaction } = ctx.state;
  const sessionUid = interaction.session?.uid;
  const session = sessionUid ? await deps.provider.Session.findByUid(sessionUid) : undefined;
  if (!sessionUid || !session?.accountId) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  const decision = await deps.mfa.decide({
    accountId: session.accountId,
    sessionUid,
    session: { amr: session.amr ?? [], acr: session.acr, authTime: session.loginTs ?? 0 },
    acrValues: interaction.params['acr_values'],
    acrClaim: acrClaimFromParam(interaction.params['claims']),
  });
  if (decision.step === 'none') {
    await finishInteraction(ctx, {});
    return 'none';
  }
  const reason = MFA_PROMPT_REASONS[decision.step];
  interaction.prompt = { name: decision.step, reasons: [reason], details: { ...decision.details } };
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  return decision.step;
}
