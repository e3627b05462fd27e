import { z } from 'zod';
import type { DirectoryStore } from '../directory/store.ts';
import type { Company, User } from '../directory/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { SecretBox } from '../lib/secret_box.ts';
import { FEDERATED_AMR } from './assurance.ts';
import { decide, recoveryStanding, type EnrollDetails, type MfaDecision } from './decision.ts';
import type { EnrollOutcome, Enrollment, FactorContext, MfaFactor, MfaMethod, VerifyOutcome } from './factor.ts';
import { mfaIsFresh, stepUpRequested, canSkipEnrollment, type SessionAuth } from './gate.ts';
import type { MfaLockout } from './lockout.ts';
import { mfaRequirementFor, SHORTEST_REVERIFY_SECONDS, type MfaRequirement } from './policy.ts';
import type { Factors, MethodId } from './registry.ts';
import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import type { FactorState, FlowStore, MfaFactorStore } from './store.ts';
import { enrollmentVerdict, usableMethods } from './usable_methods.ts';

/** The authentication a "Skip for now" was chosen in: a new password login asks again. */
export interface SkipScope {
  sessionUid: string;
  /** The session's loginTs (epoch seconds) when the user skipped. */
  authTime: number;
}

/** A verification at sign-in: the request, its interaction, and the browser session it belongs to. */
export interface AttemptContext extends FactorContext {
  sessionUid: string | undefined;
}

export type AttemptResult =
  /** `amr`: what this sign-in has earned so far, to record on the session. */
  | { outcome: 'success'; amr: readonly string[] }
  /** The method is not enrolled, or the policy no longer allows it: nothing was checked or counted. */
  | { outcome: 'not_allowed' }
  | { outcome: 'failed'; reason: 'malformed' | 'invalid' }
  /** `justLocked`: this attempt set the lock, and the sign-in and its browser session were ended. */
  | { outcome: 'locked'; retryAfterSeconds: number; justLocked: boolean };

/** Why an enrollment request may not go on; `just_enrolled` when this sign-in enrolled a moment ago. */
export type EnrollmentOpening = { ok: true; enrollment: Enrollment } | { ok: false; reason: 'stale' | 'just_enrolled' | 'recovering_elsewhere' | 'no_user' };

/** Ends sign-ins and browser sessions (implemented on oidc-provider in provider/). */
export interface SignIns {
  /** Ends one sign-in and the browser session it belongs to (the attempt that locks the account). */
  end(sessionUid: string | undefined, interactionId: string): Promise<void>;
  /**
   * Ends everything the account is signed in with (an admin's MFA reset): every browser session,
   * so none signs in silently again, and every grant with its tokens, so refresh tokens are refused
   * and access tokens stop working. Safe to repeat: a failure part-way is finished by a retry.
   */
  endEverySessionOf(accountId: string): Promise<void>;
  /**
   * Ends the account's other browser sessions, and the codes and tokens issued in them, keeping the
   * one a first-party site signed in from (its client and the `sid` of its ID token), if given.
   */
  endOtherSessionsOf(accountId: string, keep: { clientId: string; sid: string } | undefined): Promise<void>;
}

export interface MfaDeps {
  directory: DirectoryStore;
  store: MfaFactorStore;
  flow: FlowStore;
  factors: Factors;
  /** Countries whose numbers may receive SMS codes. */
  smsCountries: readonly string[];
  lockout: MfaLockout;
  events: SecurityEvents;
  box: SecretBox;
  clock: Clock;
  sessionTtlSeconds: number;
  signIns: SignIns;
  /** Counts every code checked here (sign-in, re-verification, recovery) by factor and result. */
  metrics?: Pick<Metrics, 'mfaChallenges'> | undefined;
}

/** The state of one sign-in's MFA steps, kept server-side for the interaction's lifetime. */
const FlowState = z.object({
  /** amr values earned so far in this sign-in (recovery_code before enrolling again). */
  amr: z.array(z.string()).optional(),
  /** The new recovery code, sealed, until the user confirms they saved it. */
  sealedRecoveryCode: z.string().optional(),
});
type FlowState = z.infer<typeof FlowState>;
const FLOW_TTL_SECONDS = 15 * 60;

interface LoadedAccount {
  user: User;
  requirement: MfaRequirement;
  /** Enrolled methods the policy allows now, in the registry's order. */
  usable: MethodId[];
  factors: FactorState;
}

/**
 * The MFA module's use cases: the gate's decision for a request, enrollment, the challenge attempt
 * through the lockout, recovery, skip and reset. Routes call one of these and render the result;
 * the stores and factors stay behind it.
 */
export class Mfa {
  readonly #deps: MfaDeps;

  constructor(deps: MfaDeps) {
    this.#deps = deps;
  }

  /** The registered methods, in the order they are offered. */
  get methods(): readonly MfaMethod<MethodId>[] {
    return this.#deps.factors.methods;
  }

  method(id: MethodId): MfaMethod<MethodId> {
    return this.#deps.factors.method(id);
  }

  /** The methods the account has enrolled, whatever its policy allows now (the admin console lists them). */
  async enrolledMethods(userId: string): Promise<MethodId[]> {
    const factors = await this.#deps.store.factorsOf(userId);
    return this.methods.filter((method) => method.isEnrolled(factors)).map((method) => method.id);
  }

  /**
   * What a re-verification outside a sign-in may offer (Password & Security): the methods the
   * account may use now, in the registry's order, the preferred one and the chooser's hints.
   */
  async verificationOptions(userId: string): Promise<{ user: User; requirement: MfaRequirement; methods: MethodId[]; preferred: MethodId | undefined; hints: Partial<Record<MethodId, string>> } | undefined> {
    const account = await this.#account(userId);
    if (!account) return undefined;
    const hints: Partial<Record<MethodId, string>> = {};
    for (const id of account.usable) hints[id] = this.method(id).hint(account.factors);
    return { user: account.user, requirement: account.requirement, methods: account.usable, preferred: account.factors.preferred, hints };
  }

  /** What the policy asks of this user now (the refresh-token check asks it). */
  async requirementOf(userId: string): Promise<MfaRequirement | undefined> {
    return (await this.#account(userId))?.requirement;
  }

  /**
   * The gate, once per authorization request and resume: which MFA step is due for this session,
   * and what its screens need (see decision.ts).
   */
  async decide(input: { accountId: string; sessionUid: string; session: SessionAuth; acrValues: unknown; acrClaim: unknown }): Promise<MfaDecision> {
    const { clock, flow } = this.#deps;
    const nowSeconds = Math.floor(clock() / 1000);
    // Fresh for every policy: nothing to load (this runs on every authorization request). Not for a
    // session from a company's IdP, whose MFA may stop counting (a Procore Pay role given since).
    if (!input.session.amr.includes(FEDERATED_AMR) && mfaIsFresh(input.session, SHORTEST_REVERIFY_SECONDS, nowSeconds)) return { step: 'none' };
    const account = await this.#account(input.accountId);
    if (!account) return { step: 'none' };
    const { requirement, usable, factors } = account;
    const stepUp = stepUpRequested(input.acrValues, input.acrClaim);
    // The skip only matters while enrollment is optional: read it only then.
    const skipMatters = usable.length === 0 && canSkipEnrollment(requirement, stepUp);
    const skipScope = { sessionUid: input.sessionUid, authTime: input.session.authTime };
    const hints: Partial<Record<MethodId, string>> = {};
    for (const id of usable) hints[id] = this.method(id).hint(factors);
    return decide({
      requirement,
      enrolled: usable.length > 0,
      stepUp,
      skippedEnrollment: skipMatters && (await flow.get(skipKey(skipScope))) !== undefined,
      session: input.session,
      nowSeconds,
      usable,
      preferred: factors.preferred,
      hints,
      recovery: recoveryStanding(factors.recoveringSession, input.sessionUid),
      factorVersion: factors.version,
    });
  }

  /**
   * Every enrollment request starts here. The account, as stored now, must still have no usable
   * factor, and during a recovery this must be the browser session that used the code: the step
   * was decided when the sign-in began, and another browser may have enrolled since. The commit
   * checks again, atomically, on the version decided.
   */
  async openEnrollment(input: { userId: string; sessionUid: string | undefined; decided: EnrollDetails; context: FactorContext }): Promise<EnrollmentOpening> {
    const { directory, store, smsCountries } = this.#deps;
    const [user, factors, flow] = await Promise.all([directory.findUser(input.userId), store.factorsOf(input.userId), this.#readFlow(input.context.interactionId)]);
    if (!user) return { ok: false, reason: 'no_user' };
    const usable = usableMethods(factors, input.decided.allowed, smsCountries);
    const verdict = enrollmentVerdict({ usable, recoveringSession: factors.recoveringSession, sessionUid: input.sessionUid });
    if (verdict === 'recovering_elsewhere') return { ok: false, reason: 'recovering_elsewhere' };
    // A double-submitted form: this sign-in enrolled a moment ago, and its recovery code waits.
    if (verdict === 'has_factor') return { ok: false, reason: flow.sealedRecoveryCode ? 'just_enrolled' : 'stale' };
    return { ok: true, enrollment: { user, allowed: input.decided.allowed, factorVersion: input.decided.factorVersion, context: input.context } };
  }

  /**
   * Commits a method, then completes the enrollment: a new recovery code, kept sealed until the user
   * confirms they saved it, the method becomes the default, and the event (and its email).
   */
  async confirmEnrollment(enrollment: Enrollment, methodId: MethodId, code: string): Promise<EnrollOutcome> {
    const { store, factors, box, events } = this.#deps;
    const method = this.method(methodId);
    const { user, context } = enrollment;
    // What the account had of this kind when the enrollment was decided (an unusable phone, say).
    const replaced = method.isEnrolled(await store.factorsOf(user.id));
    const outcome = await method.confirmEnrollment(enrollment, code);
    if (!outcome.ok) return outcome;
    // The sealed code goes into the flow first, so that a double-submitted form finds it (openEnrollment).
    const recoveryCode = await factors.recoveryCode.issue(user.id);
    const flow = await this.#readFlow(context.interactionId);
    await this.#writeFlow(context.interactionId, { amr: [...(flow.amr ?? []), ...method.amr], sealedRecoveryCode: box.seal(recoveryCode, user.id) });
    await store.setPreferredMethod(user.id, method.id);
    await events.record(replaced ? 'mfa.authenticator_replaced' : 'mfa.enrolled', user, context, { factor: method.id });
    await events.record('mfa.recovery_code_issued', user, context);
    return { ok: true };
  }

  /**
   * A new recovery code for the account, voiding any earlier one, outside a sign-in (Password &
   * Security: a first factor added there). The caller shows it once; nothing here keeps it in clear.
   */
  issueRecoveryCode(userId: string): Promise<string> {
    return this.#deps.factors.recoveryCode.issue(userId);
  }

  /** The new recovery code of this sign-in's enrollment, until the user confirms they saved it. */
  async pendingRecoveryCode(userId: string, interactionId: string): Promise<string | undefined> {
    const { sealedRecoveryCode } = await this.#readFlow(interactionId);
    return sealedRecoveryCode === undefined ? undefined : this.#deps.box.open(sealedRecoveryCode, userId);
  }

  /** "I have saved it": the enrollment is over; returns the amr this sign-in earned, once. */
  async finishEnrollment(interactionId: string): Promise<readonly string[] | undefined> {
    const flow = await this.#readFlow(interactionId);
    if (flow.sealedRecoveryCode === undefined) return undefined;
    await this.#deps.flow.delete(flowKey(interactionId));
    return flow.amr ?? [];
  }

  /**
   * "Skip for now": remembered for this authentication of the browser session, so the next app does
   * not ask again; a new password login (prompt=login, max_age) asks again.
   */
  async skipEnrollment(userId: string, scope: SkipScope, meta: RequestMeta): Promise<void> {
    const user = await this.#deps.directory.findUser(userId);
    if (!user) return;
    await this.#deps.flow.set(skipKey(scope), { at: this.#deps.clock() }, this.#deps.sessionTtlSeconds);
    await this.#deps.events.record('mfa.enrollment_skipped', user, meta);
  }

  /**
   * One challenge attempt with a method the account may use now. Success makes it the default (unless `rememberChoice` is false);
   * the attempt that locks the account also ends the sign-in and its browser session.
   */
  async attempt(userId: string, methodId: MethodId, input: string, context: AttemptContext, options: { rememberChoice: boolean } = { rememberChoice: true }): Promise<AttemptResult> {
    const account = await this.#account(userId);
    if (!account) return { outcome: 'failed', reason: 'invalid' };
    if (!account.usable.includes(methodId)) return { outcome: 'not_allowed' };
    const method = this.method(methodId);
    const result = await this.#verify(account.user, method, input, context);
    // A sign-in remembers the method used as the default; a re-verification on Password & Security
    // does not, so it cannot undo the preference the user set there a moment ago.
    if (result.outcome === 'success' && options.rememberChoice) await this.#deps.store.setPreferredMethod(userId, methodId);
    return result;
  }

  /**
   * A recovery code. It works whatever the methods; once it is used, the device is treated as lost:
   * every method goes, the number too (it may be on that phone), and the account must enroll again,
   * in this browser session only (nobody else has proved a factor), before it can skip anything.
   */
  async recover(userId: string, input: string, context: AttemptContext & { sessionUid: string }): Promise<AttemptResult> {
    const { directory, factors } = this.#deps;
    const user = await directory.findUser(userId);
    if (!user) return { outcome: 'failed', reason: 'invalid' };
    // The code is consumed and the methods dropped in one step (RecoveryCodeFactor.redeem).
    const result = await this.#verify(user, factors.recoveryCode, input, context, () => factors.recoveryCode.redeem(userId, input, context.sessionUid));
    if (result.outcome !== 'success') return result;
    await this.#writeFlow(context.interactionId, { amr: [...result.amr] });
    return result;
  }

  /**
   * Removes every factor of the account, the recovery code too, in one atomic step (the admin
   * reset), and forgets its MFA failures and lock: the user starts over with a new enrollment.
   * Their sessions are not ended here (SignIns.endEverySessionOf).
   */
  async resetAllFactors(userId: string): Promise<void> {
    await this.#deps.store.resetFactors(userId);
    await this.#deps.lockout.forgetAccount(userId);
  }

  /** Counted by the lockout whatever the factor; the event (and the email, where one is due) follows. */
  async #verify(user: User, factor: MfaFactor, input: string, context: AttemptContext, check: () => Promise<VerifyOutcome> = () => factor.verify(user.id, input, context)): Promise<AttemptResult> {
    const { lockout, events, signIns, metrics } = this.#deps;
    const ticket = await lockout.begin(user.id, context.ip);
    if (ticket.locked) {
      metrics?.mfaChallenges.inc({ factor: factor.id, result: 'locked' });
      return { outcome: 'locked', retryAfterSeconds: ticket.retryAfterSeconds, justLocked: false };
    }

    const result = await check();
    metrics?.mfaChallenges.inc({ factor: factor.id, result: result.ok ? 'success' : 'failed' });
    if (result.ok) {
      const usedRecoveryCode = factor.id === this.#deps.factors.recoveryCode.id;
      const [flow] = await Promise.all([
        this.#readFlow(context.interactionId),
        lockout.succeeded(user.id, context.ip),
        events.record(usedRecoveryCode ? 'mfa.recovery_code_used' : 'mfa.challenge_succeeded', user, context, { factor: factor.id }),
      ]);
      return { outcome: 'success', amr: [...(flow.amr ?? []), ...factor.amr] };
    }
    const failure = await lockout.failed(user.id, ticket);
    await events.record('mfa.challenge_failed', user, context, { factor: factor.id, reason: result.reason });
    if (failure.justLocked) {
      await Promise.all([events.record('mfa.locked', user, context), signIns.end(context.sessionUid, context.interactionId)]);
      return { outcome: 'locked', retryAfterSeconds: failure.retryAfterSeconds, justLocked: true };
    }
    return { outcome: 'failed', reason: result.reason };
  }

  /** The user with what the policy requires of them and the methods they may use now. */
  async #account(userId: string): Promise<LoadedAccount | undefined> {
    const { directory, clock, store, smsCountries, factors: registered } = this.#deps;
    const [user, memberships, factors] = await Promise.all([directory.findUser(userId), directory.membershipsOfUser(userId), store.factorsOf(userId)]);
    if (!user) return undefined;
    const companies = new Map<string, Company>();
    const found = await Promise.all(memberships.map((m) => directory.findCompany(m.companyId)));
    for (const company of found) if (company) companies.set(company.id, company);
    // Enrolled but no longer allowed methods (a Pay role granted after an SMS enrollment) still count
    // as enrolled for the policy, so the user must replace them rather than drop to one factor.
    const enrolled = registered.methods.some((method) => method.isEnrolled(factors));
    const requirement = mfaRequirementFor({ user, memberships, companies, enrolled, recovering: factors.recoveringSession !== undefined, now: new Date(clock()) });
    return { user, requirement, usable: usableMethods(factors, requirement.methods, smsCountries), factors };
  }

  async #readFlow(interactionId: string): Promise<FlowState> {
    const parsed = FlowState.safeParse((await this.#deps.flow.get(flowKey(interactionId))) ?? {});
    return parsed.success ? parsed.data : {};
  }

  async #writeFlow(interactionId: string, state: FlowState): Promise<void> {
    await this.#deps.flow.set(flowKey(interactionId), { ...state }, FLOW_TTL_SECONDS);
  }
}

function flowKey(interactionId: string): string {
  return `mfa-flow:${interactionId}`;
}

function skipKey(scope: SkipScope): string {
  return `mfa-skip:${scope.sessionUid}:${scope.authTime}`;
}
