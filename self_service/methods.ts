import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import type { MfaRequirement } from '../mfa/policy.ts';
import type { MethodId } from '../mfa/registry.ts';
import type { Mfa } from '../mfa/service.ts';
import type { MfaFactorStore } from '../mfa/store.ts';
import { mfaRunByIdp } from '../mfa/policy.ts';

/**
 * Password & Security › Remove a method, and the preferred method (manage-your-own-mfa-settings.txt).
 * A method may be removed unless it is the last one the user can sign in with while MFA is required
 * of them; when it was the account's last factor, the recovery code goes with it (it recovers
 * factors that no longer exist, and the next first factor issues a new one). The preferred method
 * is the default on "How Do You Want to Verify Your Identity"; only a method the account may use
 * now can be preferred.
 */

export interface MethodSettingsDeps {
  mfa: Mfa;
  store: MfaFactorStore;
  events: SecurityEvents;
}

/** Why a removal was refused. */
export type RemovalRefusal =
  | 'no_user'
  /** The company's IdP runs this account's MFA: nothing of ours to change. */
  | 'idp_managed'
  | 'not_enrolled'
  /** The last method the user can sign in with, while MFA is required of them. */
  | 'last_factor_required'
  /** The factors changed between the check and the removal (another tab, an admin): nothing was removed. */
  | 'stale';

export type MethodRemovalOutcome =
  /** `lastFactor`: no method is left, and the recovery code went too. `preferred`: the default now. */
  | { ok: true; lastFactor: boolean; preferred: MethodId | undefined }
  | { ok: false; reason: RemovalRefusal };

export type PreferenceOutcome = { ok: true } | { ok: false; reason: 'no_user' | 'idp_managed' | 'not_usable' };

/**
 * Is MFA required of this user whatever they have enrolled (a company's rule in force, a Procore
 * Pay role)? The policy also requires it of anyone with a factor (`enrolled`), which is not a reason
 * to keep the last one.
 */
export function requiredWithoutFactors(requirement: MfaRequirement): boolean {
  return requirement.kind === 'required' && requirement.reasons.some((reason) => reason !== 'enrolled');
}

/**
 * The removal rule, pure. `enrolled`: every method the account holds; `usable`: those the policy
 * lets it sign in with now. The method is refused when it is the last usable one while MFA is
 * required; otherwise the preference stays if it remains, or moves to the first remaining usable
 * (then enrolled) method.
 */
export function decideRemoval(input: {
  method: MethodId;
  enrolled: readonly MethodId[];
  usable: readonly MethodId[];
  preferred: MethodId | undefined;
  required: boolean;
}): { ok: true; lastFactor: boolean; preferred: MethodId | undefined } | { ok: false; reason: 'not_enrolled' | 'last_factor_required' } {
  if (!input.enrolled.includes(input.method)) return { ok: false, reason: 'not_enrolled' };
  const remaining = input.enrolled.filter((id) => id !== input.method);
  const remainingUsable = input.usable.filter((id) => id !== input.method);
  if (input.required && remainingUsable.length === 0) return { ok: false, reason: 'last_factor_required' };
  const preferred = input.preferred !== undefined && remaining.includes(input.preferred) ? input.preferred : (remainingUsable[0] ?? remaining[0]);
  return { ok: true, lastFactor: remaining.length === 0, preferred };
}

export class MethodSettings {
  readonly #deps: MethodSettingsDeps;

  constructor(deps: MethodSettingsDeps) {
    this.#deps = deps;
  }

  /**
   * Removes one method, by the rule above, in one atomic step that holds only if the factors are
   * still those the rule was checked on (two removals at once cannot leave a required user with
   * none). The event and its email follow.
   */
  async remove(userId: string, method: MethodId, meta: RequestMeta): Promise<MethodRemovalOutcome> {
    const { mfa, store, events } = this.#deps;
    // The factors first: whatever changes after this read moves the version, and the removal loses.
    const factors = await store.factorsOf(userId);
    const options = await mfa.verificationOptions(userId);
    if (!options) return { ok: false, reason: 'no_user' };
    if (mfaRunByIdp(options.requirement)) return { ok: false, reason: 'idp_managed' };
    const decision = decideRemoval({
      method,
      enrolled: mfa.methods.filter((m) => m.isEnrolled(factors)).map((m) => m.id),
      usable: options.methods,
      preferred: factors.preferred,
      required: requiredWithoutFactors(options.requirement),
    });
    if (!decision.ok) return decision;
    const removed = await store.removeMethodIfUnchanged(userId, { method, preferred: decision.preferred, dropRecoveryCode: decision.lastFactor }, factors.version);
    if (!removed) return { ok: false, reason: 'stale' };
    await events.record('mfa.method_removed', options.user, meta, { factor: method, ...(decision.lastFactor ? { lastFactor: 'yes' } : {}) });
    return decision;
  }

  /** Makes `method` the default on the chooser; only a method the account may use now. */
  async prefer(userId: string, method: MethodId): Promise<PreferenceOutcome> {
    const { mfa, store } = this.#deps;
    const options = await mfa.verificationOptions(userId);
    if (!options) return { ok: false, reason: 'no_user' };
    if (mfaRunByIdp(options.requirement)) return { ok: false, reason: 'idp_managed' };
    if (!options.methods.includes(method)) return { ok: false, reason: 'not_usable' };
    // Not a compare-and-set: a preference left on a method removed meanwhile is harmless, as the
    // chooser and the removal only honour a preference for a method that is there (decision.ts).
    await store.setPreferredMethod(userId, method);
    return { ok: true };
  }
}
