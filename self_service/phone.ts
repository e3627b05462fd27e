import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import type { DirectoryStore } from '../directory/store.ts';
import type { ChallengeOutcome, EnrollOutcome, Enrollment, FactorContext, VerifyOutcome } from '../mfa/factor.ts';
import type { MfaMethod } from '../mfa/factor.ts';
import { maskPhoneWithCountry, phoneChangeCodesOf, type PhoneChangeCodes } from '../mfa/phone_change.ts';
import type { MethodId } from '../mfa/registry.ts';
import type { Mfa, SignIns } from '../mfa/service.ts';
import type { FlowStore, MfaFactorStore } from '../mfa/store.ts';
import { mfaRunByIdp } from '../mfa/policy.ts';

/**
 * Password & Security › Add Phone Number / Change Phone Number (manage-your-own-mfa-settings.txt).
 * A user without a phone adds one as at enrollment. Changing one first proves the user still holds
 * the current phone (a code sent to it, SMS purpose `phone_change`); only then is the new number
 * verified as at enrollment, under the same number rules (country, number type, Procore Pay) and
 * send limits. The commit is a compare-and-set on the factors' version read when the flow began, so
 * a change made meanwhile elsewhere (another tab, an admin reset) wins and this one stores nothing.
 */

export interface PhoneSelfServiceDeps {
  directory: DirectoryStore;
  mfa: Mfa;
  store: MfaFactorStore;
  flow: FlowStore;
  events: SecurityEvents;
  signIns: SignIns;
}

/** Why the flow may not start. */
export type PhoneFlowRefusal =
  | { reason: 'no_user' }
  /** The company's IdP runs this account's MFA: nothing of ours to change. */
  | { reason: 'idp_managed' }
  /** The policy does not let this user use SMS (a Procore Pay payor): `message` says why. */
  | { reason: 'sms_not_allowed'; message: string }
  /** A recovery code removed the factors: only the sign-in that used it may set one up again. */
  | { reason: 'recovering' };

export type PhoneFlowStart =
  | { ok: true; mode: 'add' }
  /** `current`: the current phone, masked, that must send back a code first; undefined when texts may no longer go to it. */
  | { ok: true; mode: 'change'; current: { masked: string } | undefined }
  | ({ ok: false } & PhoneFlowRefusal);

/** The flow's state went missing (expired, restarted elsewhere, never begun): start again. */
export interface NoFlow {
  ok: false;
  reason: 'no_flow';
}

export type CurrentPhoneProof = { ok: true } | NoFlow | Extract<VerifyOutcome, { ok: false }>;

export type NewNumberOpening = { ok: true; enrollment: Enrollment } | NoFlow | { ok: false; reason: 'current_phone_unproved' | 'idp_managed' };

export type PhoneCommit =
  /** `recoveryCode`: issued when the phone is the account's first factor, to be shown once. */
  | { ok: true; mode: 'add' | 'change'; masked: string; recoveryCode: string | undefined }
  | Extract<EnrollOutcome, { ok: false }>;

/** Where a first-party site signed in from: that browser session is not ended by a change. */
export interface KeptSession {
  clientId: string;
  sid: string;
}

const FlowState = z.object({
  userId: z.string(),
  /** Random per flow: the codes and the pending number are bound to it, so a restarted flow voids them. */
  nonce: z.string(),
  /** The compare-and-set guard of the commit. */
  factorVersion: z.number().int(),
  mode: z.enum(['add', 'change']),
  /** No method was enrolled when the flow began: the phone becomes the first factor. */
  firstFactor: z.boolean(),
  /** The current phone must send a code back before the new number (false when the policy no longer lets texts go to it). */
  currentCodeRequired: z.boolean(),
  currentProved: z.boolean(),
});
type FlowState = z.infer<typeof FlowState>;

const FLOW_TTL_SECONDS = 15 * 60;

export class PhoneSelfService {
  readonly #deps: PhoneSelfServiceDeps;
  readonly #sms: MfaMethod<MethodId>;
  /** The phone-change code is the SMS method's own (its code store, pepper, number keys and send limits). */
  readonly #codes: PhoneChangeCodes;

  constructor(deps: PhoneSelfServiceDeps) {
    this.#deps = deps;
    this.#sms = deps.mfa.method('sms');
    this.#codes = phoneChangeCodesOf(deps.mfa);
  }

  /**
   * Add Phone Number / Change Phone Number: reads the account once and remembers, for this browser
   * session (`flowId`, not itself a secret), the factors' version and what the flow must ask. A new
   * start voids any earlier flow of the session, with its codes.
   */
  async begin(userId: string, flowId: string): Promise<PhoneFlowStart> {
    const { mfa, store, flow } = this.#deps;
    const [options, factors] = await Promise.all([mfa.verificationOptions(userId), store.factorsOf(userId)]);
    if (!options) return { ok: false, reason: 'no_user' };
    if (mfaRunByIdp(options.requirement)) return { ok: false, reason: 'idp_managed' };
    const refusal = this.#sms.enrollmentRefusal(options.requirement.methods);
    if (refusal !== undefined) return { ok: false, reason: 'sms_not_allowed', message: refusal };
    if (factors.recoveringSession !== undefined) return { ok: false, reason: 'recovering' };
    const phone = factors.phone;
    // A number the policy no longer lets texts go to (a Pay role or SMS_COUNTRIES since) gets no code:
    // as at sign-in, where such a phone is replaced after the password alone; the step-up proved the rest.
    const currentCodeRequired = phone !== undefined && options.methods.includes('sms');
    const state: FlowState = {
      userId,
      nonce: randomUUID(),
      factorVersion: factors.version,
      mode: phone ? 'change' : 'add',
      firstFactor: !mfa.methods.some((method) => method.isEnrolled(factors)),
      currentCodeRequired,
      currentProved: false,
    };
    await flow.set(flowKey(flowId), state, FLOW_TTL_SECONDS);
    if (!phone) return { ok: true, mode: 'add' };
    return { ok: true, mode: 'change', current: currentCodeRequired ? { masked: maskPhoneWithCountry(phone.e164) } : undefined };
  }

  /** The current phone, masked, while this flow waits for its code. */
  async currentPhone(userId: string, flowId: string): Promise<{ masked: string } | undefined> {
    const state = await this.#state(userId, flowId);
    if (!state?.currentCodeRequired || state.currentProved) return undefined;
    const phone = await this.#deps.store.getPhone(userId);
    return phone ? { masked: maskPhoneWithCountry(phone.e164) } : undefined;
  }

  /** "Send Text Message": a `phone_change` code to the current number, through the SMS send limits. */
  async sendCurrentCode(userId: string, flowId: string, meta: RequestMeta): Promise<ChallengeOutcome | NoFlow> {
    const state = await this.#state(userId, flowId);
    const user = state?.currentCodeRequired && !state.currentProved ? await this.#deps.directory.findUser(userId) : undefined;
    if (!state || !user) return { ok: false, reason: 'no_flow' };
    return this.#codes.sendCurrentCode(user, contextOf(state, meta));
  }

  /** The code from the current phone: only a `phone_change` code of this flow, to that number, counts. */
  async proveCurrentPhone(userId: string, flowId: string, code: string, meta: RequestMeta): Promise<CurrentPhoneProof> {
    const { directory, events, flow } = this.#deps;
    const state = await this.#state(userId, flowId);
    const user = state?.currentCodeRequired && !state.currentProved ? await directory.findUser(userId) : undefined;
    if (!state || !user) return { ok: false, reason: 'no_flow' };
    const outcome = await this.#codes.verifyCurrentCode(userId, code, contextOf(state, meta));
    if (!outcome.ok) {
      await events.record('mfa.challenge_failed', user, meta, { factor: 'sms', purpose: 'phone_change', reason: outcome.reason });
      return outcome;
    }
    await flow.set(flowKey(flowId), { ...state, currentProved: true }, FLOW_TTL_SECONDS);
    return { ok: true };
  }

  /**
   * The new number's enrollment, once the flow may go on to it (the current phone proved, when it
   * had to be). The Procore Pay rules are those of now: a role given meanwhile applies at once.
   */
  async openNewNumber(userId: string, flowId: string, meta: RequestMeta): Promise<NewNumberOpening> {
    const state = await this.#state(userId, flowId);
    if (!state) return { ok: false, reason: 'no_flow' };
    if (state.currentCodeRequired && !state.currentProved) return { ok: false, reason: 'current_phone_unproved' };
    const options = await this.#deps.mfa.verificationOptions(userId);
    if (!options) return { ok: false, reason: 'no_flow' };
    if (mfaRunByIdp(options.requirement)) return { ok: false, reason: 'idp_managed' };
    return { ok: true, enrollment: { user: options.user, allowed: options.requirement.methods, factorVersion: state.factorVersion, context: contextOf(state, meta) } };
  }

  /**
   * The new number's code came back: stores it if the account is still at the version read when the
   * flow began. A first factor gets a recovery code and becomes the preferred method; a change ends
   * the user's other sessions (all but `keep`); the event and its email follow.
   */
  async commit(enrollment: Enrollment, code: string, flowId: string, keep: KeptSession | undefined): Promise<PhoneCommit> {
    const { flow, store, events, signIns } = this.#deps;
    const { user, context } = enrollment;
    const state = await this.#state(user.id, flowId);
    // The flow was restarted or ended since this enrollment was opened: its decision no longer holds.
    if (!state || contextOf(state, context).interactionId !== context.interactionId || (state.currentCodeRequired && !state.currentProved)) return { ok: false, reason: 'stale' };
    const pending = await this.#codes.pendingNumber(enrollment);
    const outcome = await this.#sms.confirmEnrollment(enrollment, code);
    if (!outcome.ok) return outcome;
    await flow.delete(flowKey(flowId));
    let recoveryCode: string | undefined;
    if (state.firstFactor) {
      recoveryCode = await this.#deps.mfa.issueRecoveryCode(user.id);
      await store.setPreferredMethod(user.id, this.#sms.id);
    }
    if (state.mode === 'change') {
      // The replacement first: whoever holds another session must not keep it while the events are written.
      await signIns.endOtherSessionsOf(user.id, keep);
      await events.record('mfa.phone_changed', user, context, { factor: this.#sms.id });
    } else {
      await events.record('mfa.enrolled', user, context, { factor: this.#sms.id });
    }
    if (recoveryCode !== undefined) await events.record('mfa.recovery_code_issued', user, context);
    return { ok: true, mode: state.mode, masked: pending ? maskPhoneWithCountry(pending.e164) : '', recoveryCode };
  }

  async #state(userId: string, flowId: string): Promise<FlowState | undefined> {
    const parsed = FlowState.safeParse(await this.#deps.flow.get(flowKey(flowId)));
    // A flow is the user's own: a session signed in as someone else since finds none.
    return parsed.success && parsed.data.userId === userId ? parsed.data : undefined;
  }
}

/** The SMS codes and the pending number of this flow are bound to its nonce. */
function contextOf(state: FlowState, meta: RequestMeta): FactorContext {
  return { ip: meta.ip, userAgent: meta.userAgent, interactionId: `account-phone:${state.nonce}` };
}

function flowKey(flowId: string): string {
  return `account-phone:${flowId}`;
}
