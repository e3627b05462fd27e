import type { AllowedMethods } from './policy.ts';
import { METHODS, type MethodId } from './registry.ts';
import type { FactorState } from './store.ts';

/**
 * The enrolled methods a user may use now, in the order to offer them. Pure. The policy's method
 * rules apply at every challenge, not only at enrollment: a phone that a Procore Pay role, or the
 * `SMS_COUNTRIES` list, no longer allows is neither offered nor accepted.
 */
export function usableMethods(factors: Pick<FactorState, 'totp' | 'phone'>, allowed: AllowedMethods, smsCountries: readonly string[]): MethodId[] {
  return METHODS.filter((method) => method.usable(factors, allowed, smsCountries)).map((method) => method.id);
}

export type EnrollmentVerdict = 'open' | 'has_factor' | 'recovering_elsewhere';

/**
 * May this sign-in set up a second factor without passing a challenge? Only while the account has no
 * usable factor, and, while a recovery is under way, only in the browser session that used the
 * recovery code: any other session has proved nothing but the password. Asked on every enrollment
 * request and enforced again at commit by compare-and-set on the factors' version.
 */
export function enrollmentVerdict(input: { usable: readonly MethodId[]; recoveringSession: string | undefined; sessionUid: string | undefined }): EnrollmentVerdict {
  if (input.usable.length > 0) return 'has_factor';
  if (input.recoveringSession !== undefined && input.recoveringSession !== input.sessionUid) return 'recovering_elsewhere';
  return 'open';
}
