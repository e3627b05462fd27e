import type Provider from 'oidc-provider';
import { acrClaimFromParam, stepUpRequested } from '../../mfa/gate.ts';
import type { Mfa, MfaAccount } from '../../mfa/mfa.ts';
import type { User } from '../../directory/types.ts';
import type { RequestMeta } from '../../mfa/security_events.ts';
import type { FactorContext } from '../../mfa/factor.ts';
import type { MethodId } from '../../mfa/store.ts';
import { ACR, AMR, FIRST_FACTOR_AMR } from '../../provider/acr.ts';
import { finishInteraction, type InteractionContext } from '../context.ts';

/** State of one interaction's MFA steps, kept server-side for the interaction's lifetime. */
export interface MfaFlowState {
  /** A recovery code was used in this interaction: the user must set up a new authenticator. */
  recovered?: boolean;
  /** amr values earned so far in this interaction (e.g. recovery_code before re-enrolling). */
  amr?: string[];
  /** The new recovery code, sealed, until the user confirms they saved it. */
  sealedRecoveryCode?: string;
  /** The number an SMS enrollment code was sent to, until the code comes back. */
  pendingPhone?: { e164: string; country: string };
}

const FLOW_TTL_SECONDS = 15 * 60;

export interface MfaRouteDeps {
  provider: Provider;
  mfa: Mfa;
}

export function flowKey(ctx: InteractionContext): string {
  return `mfa-flow:${ctx.state.interaction.uid}`;
}

export async function readFlow(ctx: InteractionContext, mfa: Mfa): Promise<MfaFlowState> {
  const stored: MfaFlowState | undefined = await mfa.deps.flow.get(flowKey(ctx));
  return stored ?? {};
}

export async function writeFlow(ctx: InteractionContext, mfa: Mfa, state: MfaFlowState): Promise<void> {
  await mfa.deps.flow.set(flowKey(ctx), { ...state }, FLOW_TTL_SECONDS);
}

/** The signed-in (first factor) account of this interaction; MFA only ever concerns that account. */
export async function interactionAccount(ctx: InteractionContext, mfa: Mfa): Promise<MfaAccount> {
  const account = await mfa.account(interactionAccountId(ctx));
  if (!account) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  return account;
}

/** A method the account does not have, or that the policy no longer allows (Procore Pay, SMS countries). */
export function refuseUnusableMethod(ctx: InteractionContext, account: MfaAccount, method: MethodId): void {
  if (!account.methods.includes(method)) ctx.throw(403, 'This verification method is not available for your account.');
}

export function interactionAccountId(ctx: InteractionContext): string {
  const accountId = ctx.state.interaction.session?.accountId;
  if (!accountId) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  return accountId;
}

/** The same, without the policy: for the steps that only verify or store a factor. */
export async function interactionUser(ctx: InteractionContext, mfa: Mfa): Promise<User> {
  const user = await mfa.deps.directory.findUser(interactionAccountId(ctx));
  if (!user) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  return user;
}

/** Who is asking, for audit events and limits, and the interaction a code is bound to. */
export function requestMeta(ctx: InteractionContext): RequestMeta & FactorContext {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent'), interactionId: ctx.state.interaction.uid };
}

export function stepUpOf(ctx: InteractionContext): boolean {
  const { params } = ctx.state.interaction;
  return stepUpRequested(params['acr_values'], acrClaimFromParam(params['claims']));
}

/**
 * Records MFA on the session by re-submitting the login for the same account with the upgraded
 * amr and the multi-factor acr. `ts` becomes now: auth_time is the end of the latest interactive
 * authentication, which the re-verification frequency is measured from.
 */
export async function finishMfa(ctx: InteractionContext, deps: MfaRouteDeps, earned: readonly string[], options: { clearFlow: boolean }): Promise<void> {
  const { interaction } = ctx.state;
  const accountId = interactionAccountId(ctx);
  const firstFactor = (interaction.session?.amr ?? [AMR.password]).filter((v) => FIRST_FACTOR_AMR.includes(v));
  const amr = [...new Set([...firstFactor, ...earned, AMR.multiFactor])];
  await Promise.all([
    options.clearFlow ? deps.mfa.deps.flow.delete(flowKey(ctx)) : undefined,
    finishInteraction(ctx, { login: { accountId, amr, acr: ACR.multiFactor, remember: true, ts: Math.floor(deps.mfa.deps.clock() / 1000) } }),
  ]);
}
