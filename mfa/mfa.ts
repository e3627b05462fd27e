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
import { mfaRequirementFor, SHORTEST_REVERIFY_SECONDS, type MfaRequirement } from './policy.ts';
import type { RequestMeta, SecurityEvents } from './security_events.ts';
import type { FlowStore, MethodId, MfaFactorStore, PhoneRecord } from './store.ts';

export interface MfaAccount {
  user: User;
  requirement: MfaRequirement;
  /** Second-factor methods the user has, in the order to offer them. */
  methods: MethodId[];
  preferred: MethodId | undefined;
  phone: PhoneRecord | undefined;
}

export type AttemptResult =
  | { outcome: 'success' }
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

  /** The user with their methods and what the policy requires of them. */
  async account(userId: string): Promise<MfaAccount | undefined> {
    const { directory, clock } = this.deps;
    const [user, memberships, { methods, preferred, phone }] = await Promise.all([directory.findUser(userId), directory.membershipsOfUser(userId), this.methods(userId)]);
    if (!user) return undefined;
    const companies = new Map<string, Company>();
    const found = await Promise.all(memberships.map((m) => directory.findCompany(m.companyId)));
    for (const company of found) if (company) companies.set(company.id, company);
    const requirement = mfaRequirementFor({ user, memberships, companies, enrolled: methods.length > 0, now: new Date(clock()) });
    return { user, requirement, methods, preferred, phone };
  }

  /** The second-factor methods a user has, and the one they used last. */
  async methods(userId: string): Promise<{ methods: MethodId[]; preferred: MethodId | undefined; phone: PhoneRecord | undefined }> {
    const { totp, phone, preferred } = await this.deps.store.methodsOf(userId);
    const methods: MethodId[] = [...(totp ? ['totp' as const] : []), ...(phone ? ['sms' as const] : [])];
    return { methods, preferred, phone };
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
    return mfaStepsDue({
      requirement: account.requirement,
      enrolled: account.methods.length > 0,
      stepUp,
      skippedEnrollment: skipMatters && (await this.deps.flow.get(skipKey(input.sessionUid))) !== undefined,
      session: input.session,
      nowSeconds,
    });
  }

  /** "Skip for now": remembered for the browser session, so the next app does not ask again. */
  async skipEnrollment(user: User, sessionUid: string, meta: RequestMeta): Promise<void> {
    await this.deps.flow.set(skipKey(sessionUid), { at: this.deps.clock() }, this.deps.sessionTtlSeconds);
    await this.deps.events.record('mfa.enrollment_skipped', user, meta);
  }

  /** After a recovery code: the device is lost, so every second factor goes, the number too (it may be on that phone). */
  async forgetLostDevice(userId: string): Promise<void> {
    await Promise.all([this.deps.totp.remove(userId), this.deps.sms.remove(userId)]);
  }

  /** One verification attempt, counted by the lockout whatever the factor. */
  async attempt(userId: string, factor: MfaFactor, input: string, meta: RequestMeta & FactorContext): Promise<AttemptResult> {
    const { lockout, events, directory } = this.deps;
    const [user, ticket] = await Promise.all([directory.findUser(userId), lockout.begin(userId, meta.ip)]);
    if (!user) return { outcome: 'failed', reason: 'invalid' };
    if (ticket.locked) return { outcome: 'locked', retryAfterSeconds: ticket.retryAfterSeconds, justLocked: false };

    const result = await factor.verify(user.id, input, { interactionId: meta.interactionId });
    if (result.ok) {
      await Promise.all([
        lockout.succeeded(user.id),
        events.record(factor.id === 'recovery_code' ? 'mfa.recovery_code_used' : 'mfa.challenge_succeeded', user, meta, { factor: factor.id }),
      ]);
      return { outcome: 'success' };
    }
    const failure = await lockout.failed(user.id, meta.ip, ticket);
    await events.record('mfa.challenge_failed', user, meta, { factor: factor.id, reason: result.reason });
    if (failure.justLocked) {
      await events.record('mfa.locked', user, meta);
      return { outcome: 'locked', retryAfterSeconds: failure.retryAfterSeconds, justLocked: true };
    }
    return { outcome: 'failed', reason: result.reason };
  }
}

function skipKey(sessionUid: string): string {
  return `mfa-skip:${sessionUid}`;
}
