import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import type { EnrollOutcome, Enrollment, FactorContext, MfaMethod } from '../mfa/factor.ts';
import type { MethodId } from '../mfa/registry.ts';
import type { Mfa, SignIns } from '../mfa/service.ts';
import type { FlowStore, MfaFactorStore } from '../mfa/store.ts';
import { mfaRunByIdp } from '../mfa/policy.ts';

/**
 * Password & Security › Add Authenticator App / Change Authenticator App, and "enroll early" before
 * a company's deadline (the same flow). The authenticator method's own enrollment commits the new
 * app, so the secret, the setup page and the code check are enrollment's. An account has one app:
 * a new one replaces the old, which keeps working until the new one is verified. The commit is a
 * compare-and-set on the factors' version read when the flow began, so a stale setup page, or a
 * change made meanwhile elsewhere (another session, an admin reset), stores nothing.
 */

export interface AuthenticatorSelfServiceDeps {
  mfa: Mfa;
  store: MfaFactorStore;
  flow: FlowStore;
  events: SecurityEvents;
  signIns: SignIns;
}

export type AppFlowStart =
  | { ok: true; mode: 'add' | 'change' }
  /**
   * `idp_managed`: the company's IdP runs this account's MFA. `recovering`: a recovery code removed
   * the factors, and only the sign-in that used it may set one up again.
   */
  | { ok: false; reason: 'no_user' | 'idp_managed' | 'recovering' };

/** `no_flow`: the flow's state went missing (expired, started again, never begun): start again. */
export type AppSetupOpening = { ok: true; enrollment: Enrollment } | { ok: false; reason: 'no_flow' | 'idp_managed' };

export type AppCommit =
  /** `recoveryCode`: issued when the app is the account's first factor, to be shown once and saved. */
  | { ok: true; mode: 'add' | 'change'; recoveryCode: string | undefined }
  | Extract<EnrollOutcome, { ok: false }>;

/** The provider session a first-party site signed in from: a replacement does not end it. */
export interface KeptSession {
  clientId: string;
  sid: string;
}

const FlowState = z.object({
  userId: z.string(),
  /** Random per start: the pending secret is bound to it, so starting again voids an open setup page. */
  nonce: z.string(),
  /** The compare-and-set token: the commit stores nothing if the factors changed since. */
  factorVersion: z.number(),
  mode: z.enum(['add', 'change']),
  /** No method was enrolled when the flow began: the app becomes the first factor. */
  firstFactor: z.boolean(),
});
type FlowState = z.infer<typeof FlowState>;

const FLOW_TTL_SECONDS = 15 * 60;

export class AuthenticatorSelfService {
  readonly #deps: AuthenticatorSelfServiceDeps;
  readonly #app: MfaMethod<MethodId>;

  constructor(deps: AuthenticatorSelfServiceDeps) {
    this.#deps = deps;
    this.#app = deps.mfa.method('totp');
  }

  /**
   * Add / Change Authenticator App: reads the account once and remembers, for this browser session
   * (`flowId`, not itself a secret), the factors' version and whether the app replaces one. A new
   * start voids any earlier setup of the session (its secret was bound to the earlier nonce).
   */
  async begin(userId: string, flowId: string): Promise<AppFlowStart> {
    const { mfa, store, flow } = this.#deps;
    // The factors first: whatever changes after this read moves the version, and the commit loses.
    const factors = await store.factorsOf(userId);
    const options = await mfa.verificationOptions(userId);
    if (!options) return { ok: false, reason: 'no_user' };
    if (mfaRunByIdp(options.requirement)) return { ok: false, reason: 'idp_managed' };
    if (factors.recoveringSession !== undefined) return { ok: false, reason: 'recovering' };
    const mode = this.#app.isEnrolled(factors) ? 'change' : 'add';
    const state: FlowState = {
      userId,
      nonce: randomUUID(),
      factorVersion: factors.version,
      mode,
      firstFactor: !mfa.methods.some((method) => method.isEnrolled(factors)),
    };
    await flow.set(flowKey(flowId), state, FLOW_TTL_SECONDS);
    return { ok: true, mode };
  }

  /** The enrollment the setup screens run, while this session's flow lasts; the IdP rule is read again. */
  async open(userId: string, flowId: string, meta: RequestMeta): Promise<AppSetupOpening> {
    const state = await this.#state(userId, flowId);
    if (!state) return { ok: false, reason: 'no_flow' };
    const options = await this.#deps.mfa.verificationOptions(userId);
    if (!options) return { ok: false, reason: 'no_flow' };
    if (mfaRunByIdp(options.requirement)) return { ok: false, reason: 'idp_managed' };
    return { ok: true, enrollment: { user: options.user, allowed: options.requirement.methods, factorVersion: state.factorVersion, context: contextOf(state, meta) } };
  }

  /**
   * The new app's first code came back: the method commits it if the account is still at the
   * version read when the flow began. A first factor gets a recovery code and becomes the preferred
   * method; a replacement ends the user's other sessions (all but `keep`); the events and their
   * emails follow.
   */
  async commit(enrollment: Enrollment, code: string, flowId: string, keep: KeptSession | undefined): Promise<AppCommit> {
    const { mfa, store, flow, events, signIns } = this.#deps;
    const { user, context } = enrollment;
    const state = await this.#state(user.id, flowId);
    // The flow was started again or ended since this enrollment was opened: its decision no longer holds.
    if (!state || contextOf(state, context).interactionId !== context.interactionId) return { ok: false, reason: 'stale' };
    const outcome = await this.#app.confirmEnrollment(enrollment, code);
    if (!outcome.ok) return outcome;
    await flow.delete(flowKey(flowId));
    let recoveryCode: string | undefined;
    if (state.firstFactor) {
      recoveryCode = await mfa.issueRecoveryCode(user.id);
      await store.setPreferredMethod(user.id, this.#app.id);
    }
    const factor = { factor: this.#app.id };
    if (state.mode === 'change') {
      // The replacement first: whoever holds another session must not keep it while the events are written.
      await signIns.endOtherSessionsOf(user.id, keep);
      await events.record('mfa.authenticator_replaced', user, context, factor);
    } else {
      await events.record('mfa.enrolled', user, context, factor);
    }
    if (recoveryCode !== undefined) await events.record('mfa.recovery_code_issued', user, context);
    return { ok: true, mode: state.mode, recoveryCode };
  }

  async #state(userId: string, flowId: string): Promise<FlowState | undefined> {
    const parsed = FlowState.safeParse(await this.#deps.flow.get(flowKey(flowId)));
    // A flow is the user's own: a session signed in as someone else since finds none.
    return parsed.success && parsed.data.userId === userId ? parsed.data : undefined;
  }
}

/** The pending secret is bound to the flow's nonce (the authenticator method keys it by `interactionId`). */
function contextOf(state: FlowState, meta: RequestMeta): FactorContext {
  return { ip: meta.ip, userAgent: meta.userAgent, interactionId: `account-app:${state.nonce}` };
}

function flowKey(flowId: string): string {
  return `account-app:${flowId}`;
}
