import type { DirectoryStore } from '../directory/store.ts';
import type { Company, User } from '../directory/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { SecretBox } from '../lib/secret_box.ts';
import type { FactorContext, MfaFactor } from './factor.ts';
import type { RecoveryCodeFactor } from './factors/recovery_code.ts';
import type { TotpFactor } from './factors/totp.ts';
import type { SmsFactor } from './factors/sms.ts';
import { canSkipEnrollment, mfaIsFresh, mfaStepsDue, stepUpRequested, type MfaSteps, type SessionAuth } from './gate.ts';
import type { MfaLockout } from './lockout.ts';
import { allowedMethodsFor, mfaRequirementFor, SHORTEST_REVERIFY_SECONDS, type MfaRequirement } from './policy.ts';
import type { RequestMeta, SecurityEvents } from './security_events.ts';
import type { FactorState, FlowStore, MethodId, MfaFactorStore, PhoneRecord } from './store.ts';
import { usableMethods } from './usable_methods.ts';

export interface MfaAccount {
  user: User;
  requirement: MfaRequirement;
  /** Second-factor methods the user may use now (enrolled and allowed), in the order to offer them. */
  methods: MethodId[];
  preferred: MethodId | undefined;
  /** The phone, when SMS is one of `methods`. */
  phone: PhoneRecord | undefined;
  /** The stored factors as read, usable or not, with the version an enrollment must commit on. */
  factors: FactorState;
}

/** The authentication a "Skip for now" was chosen in: a new password login asks again. */
export interface SkipScope {
  sessionUid: string;
  /** The session's loginTs (epoch seconds) when the user skipped. */
  authTime: number;
}

export type AttemptResult =
  | { outcome: 'success' }
  /** The method is not enrolled, or the policy no longer allows it: nothing was checked or counted. */
  | { outcome: 'not_allowed' }
  | { outcome: 'failed'; reason: 'malformed' | 'invalid' }
  | { outcome: 'locked'; retryAfterSeconds: number; justLocked: boolean };

export interface MfaDeps {
  directory: DirectoryStore;
  store: MfaFactorStore;
  flow: FlowStore;
  totp: TotpFactor;
  sms: SmsFactor;
  recoveryCode: RecoveryCodeFactor;
  /** Countries whose numbers may receive SMS codes. */
  smsCountries: string[];
  lockout: MfaLockout;
  events: SecurityEvents;
  box: SecretBox;
  clock: Clock;
  sessionTtlSeconds: number;
}

/**
 * The MFA module's face to the rest of the app: it loads what the pure policy needs, answers the
 * interaction policy's "which step is due?", and runs a verification attempt through the lockout.
 */
export class Mfa {
  readonly deps: MfaDeps;

  constructor(deps: MfaDeps) {
    this.deps = deps;
  }

  get totp(): TotpFactor {
    return this.deps.totp;
  }

  get sms(): SmsFactor {
    return this.deps.sms;
  }

  get recoveryCode(): RecoveryCodeFactor {
    return this.deps.recoveryCode;
  }

  get events(): SecurityEvents {
    return this.deps.events;
  }

  /**
   * The user with what the policy requires of them and the methods they may use. Enrolled but no
   * longer allowed methods (a Pay role granted after an SMS enrollment) still count as "enrolled"
   * for the policy, so the user must replace them rather than drop to one factor.
   */
  async account(userId: string): Promise<MfaAccount | undefined> {
    const { directory, clock, store, smsCountries } = this.deps;
    const [user, memberships, factors] = await Promise.all([directory.findUser(userId), directory.membershipsOfUser(userId), store.factorsOf(userId)]);
    if (!user) return undefined;
    const companies = new Map<string, Company>();
    const found = await Promise.all(memberships.map((m) => directory.findCompany(m.companyId)));
    for (const company of found) if (company) companies.set(company.id, company);
    const enrolled = factors.totp || factors.phone !== undefined;
    const requirement = mfaRequirementFor({ user, memberships, companies, enrolled, recovering: factors.recoveringSession !== undefined, now: new Date(clock()) });
    const methods = usableMethods(factors, allowedMethodsFor(memberships, companies), smsCountries);
    return {
      user,
      requirement,
      methods,
      preferred: factors.preferred !== undefined && methods.includes(factors.preferred) ? factors.preferred : undefined,
      phone: methods.includes('sms') ? factors.phone : undefined,
      factors,
    };
  }

  /** Which MFA steps are due for this session and request (see gate.ts). */
  async stepsDue(input: {
    accountId: string;
    sessionUid: string;
    session: SessionAuth;
    acrValues: unknown;
    acrClaim: Parameters<typeof stepUpRequested>[1];
  }): Promise<MfaSteps> {
    const nowSeconds = Math.floor(this.deps.clock() / 1000);
    // Fresh for every policy: nothing to load (this runs on every authorization request).
    if (mfaIsFresh(input.session, SHORTEST_REVERIFY_SECONDS, nowSeconds)) return { enroll: false, challenge: false };
    const account = await this.account(input.accountId);
    if (!account) return { enroll: false, challenge: false };
    const stepUp = stepUpRequested(input.acrValues, input.acrClaim);
    // The skip only matters while enrollment is optional: read it only then.
    const skipMatters = account.methods.length === 0 && canSkipEnrollment(account.requirement, stepUp);
    const skipScope = { sessionUid: input.sessionUid, authTime: input.session.authTime };
    return mfaStepsDue({
      requirement: account.requirement,
      enrolled: account.methods.length > 0,
      stepUp,
      skippedEnrollment: skipMatters && (await this.deps.flow.get(skipKey(skipScope))) !== undefined,
      session: input.session,
      nowSeconds,
    });
  }

  /**
   * "Skip for now": remembered for this authentication of the browser session, so the next app does
   * not ask again; a new password login (prompt=login, max_age) asks again.
   */
  async skipEnrollment(user: User, scope: SkipScope, meta: RequestMeta): Promise<void> {
    await this.deps.flow.set(skipKey(scope), { at: this.deps.clock() }, this.deps.sessionTtlSeconds);
    await this.deps.events.record('mfa.enrollment_skipped', user, meta);
  }

  /**
   * After a recovery code: the device is lost, so every second factor goes, the number too (it may
   * be on that phone), and the account must enroll again before it can skip anything. Only the
   * browser session that used the code may enroll until then.
   */
  async forgetLostDevice(userId: string, sessionUid: string): Promise<void> {
    await this.deps.store.dropFactorsForRecovery(userId, sessionUid);
  }

  /**
   * One verification attempt, counted by the lockout whatever the factor. An app or SMS code counts
   * only for a method the account may use now; the recovery code is always accepted.
   */
  async attempt(userId: string, factor: MfaFactor, input: string, meta: RequestMeta & FactorContext): Promise<AttemptResult> {
    const { lockout, events } = this.deps;
    const account = await this.account(userId);
    if (!account) return { outcome: 'failed', reason: 'invalid' };
    if (factor.id !== 'recovery_code' && !account.methods.includes(factor.id)) return { outcome: 'not_allowed' };
    const { user } = account;
    const ticket = await lockout.begin(userId, meta.ip);
    if (ticket.locked) return { outcome: 'locked', retryAfterSeconds: ticket.retryAfterSeconds, justLocked: false };

    const result = await factor.verify(user.id, input, { interactionId: meta.interactionId });
    if (result.ok) {
      await Promise.all([
        lockout.succeeded(user.id, meta.ip),
        events.record(factor.id === 'recovery_code' ? 'mfa.recovery_code_used' : 'mfa.challenge_succeeded', user, meta, { factor: factor.id }),
      ]);
      return { outcome: 'success' };
    }
    const failure = await lockout.failed(user.id, ticket);
    await events.record('mfa.challenge_failed', user, meta, { factor: factor.id, reason: result.reason });
    if (failure.justLocked) {
      await events.record('mfa.locked', user, meta);
      return { outcome: 'locked', retryAfterSeconds: failure.retryAfterSeconds, justLocked: true };
    }
    return { outcome: 'failed', reason: result.reason };
  }
}

function skipKey(scope: SkipScope): string {
  return `mfa-skip:${scope.sessionUid}:${scope.authTime}`;
}
