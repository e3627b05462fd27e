import type { AllowedMethods } from './policy.ts';
import { checkSmsNumber } from './sms_rules.ts';
import type { FactorState, MethodId } from './store.ts';

/**
 * The enrolled methods a user may use now, in the order to offer them. Pure. The policy's method
 * rules apply at every challenge, not only at enrollment: a phone that a Procore Pay role, or the
 * `SMS_COUNTRIES` list, no longer allows is neither offered nor accepted.
 */
export function usableMethods(factors: Pick<FactorState, 'totp' | 'phone'>, allowed: AllowedMethods, smsCountries: readonly string[]): MethodId[] {
  const methods: MethodId[] = [];
  if (factors.totp) methods.push('totp');
  if (factors.phone && checkSmsNumber({ number: factors.phone.e164 }, allowed.sms, smsCountries).allowed) methods.push('sms');
  return methods;
}

/**
 * May a sign-in that has passed only the first factor set up a second one? Only while the account
 * has no usable factor; otherwise the challenge comes first. Asked on every enrollment request and
 * enforced again at commit by compare-and-set on the factors' version.
 */
export function canEnrollWithoutChallenge(usable: readonly MethodId[]): boolean {
  return usable.length === 0;
}
