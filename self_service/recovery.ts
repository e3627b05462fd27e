import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import { mfaRunByIdp } from '../mfa/policy.ts';
import type { Mfa } from '../mfa/service.ts';
import type { MfaFactorStore } from '../mfa/store.ts';
import type { User } from '../directory/types.ts';

/**
 * Password & Security › Request New Code (manage-your-own-mfa-settings.txt): a new recovery code,
 * which voids the previous one (the store keeps one hash per account), shown once by the caller and
 * followed by an email. Only for an account with a method of ours: the code is the way back when
 * the methods are lost, and an account whose MFA its company's IdP runs has none to lose.
 */

export interface RecoverySelfServiceDeps {
  mfa: Mfa;
  store: MfaFactorStore;
  events: SecurityEvents;
}

export type NewRecoveryCode =
  /** `code`: formatted for reading; it is nowhere in clear after this. */
  | { ok: true; code: string }
  | { ok: false; reason: 'no_user' | 'idp_managed' | 'no_factor' };

/** Why a user may not ask for a code now, or undefined when they may (the confirmation page asks it too). */
export async function recoveryCodeRefusal(deps: Pick<RecoverySelfServiceDeps, 'mfa' | 'store'>, userId: string): Promise<Refusal | undefined> {
  const eligible = await eligibility(deps, userId);
  return eligible.ok ? undefined : eligible.reason;
}

/** Issues the account's new recovery code (voiding the old one), records `mfa.recovery_code_issued` and queues its email. */
export async function requestNewRecoveryCode(deps: RecoverySelfServiceDeps, userId: string, meta: RequestMeta): Promise<NewRecoveryCode> {
  const eligible = await eligibility(deps, userId);
  if (!eligible.ok) return eligible;
  const code = await deps.mfa.issueRecoveryCode(userId);
  await deps.events.record('mfa.recovery_code_issued', eligible.user, meta, { via: 'self_service' });
  return { ok: true, code };
}

type Refusal = Extract<NewRecoveryCode, { ok: false }>['reason'];

async function eligibility(deps: Pick<RecoverySelfServiceDeps, 'mfa' | 'store'>, userId: string): Promise<{ ok: true; user: User } | { ok: false; reason: Refusal }> {
  const { mfa, store } = deps;
  const [options, factors] = await Promise.all([mfa.verificationOptions(userId), store.factorsOf(userId)]);
  if (!options) return { ok: false, reason: 'no_user' };
  const { requirement, user } = options;
  if (mfaRunByIdp(requirement)) return { ok: false, reason: 'idp_managed' };
  // Enrolled, whatever the policy allows now: a phone a Pay role no longer lets texts go to is still
  // the user's, and the recovery code is what gets them back to an app. An account mid-recovery has
  // no method (a recovery code removed them) and gets its code with the next enrollment.
  if (!mfa.methods.some((method) => method.isEnrolled(factors))) return { ok: false, reason: 'no_factor' };
  return { ok: true, user };
}
