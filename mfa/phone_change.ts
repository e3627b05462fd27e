import type { User } from '../directory/types.ts';
import type { ChallengeOutcome, Enrollment, FactorContext, VerifyOutcome } from './factor.ts';
import type { Mfa } from './service.ts';
import { SmsFactor, type PendingNumber } from './factors/sms/sms.ts';

export { maskPhoneWithCountry, USE_THE_APP } from './factors/sms/rules.ts';
export { notSentPage } from './factors/sms/screens.ts';

/**
 * What changing the phone number in Password & Security needs of the SMS method beyond every
 * method's interface (MfaMethod): the code to the current number (purpose `phone_change`) and the
 * number an enrollment is verifying. Outside mfa/, a method is reached through here and the
 * registry, never in its folder (test/unit/architecture.test.ts).
 */
export interface PhoneChangeCodes {
  /** A `phone_change` code to the account's current number, through the SMS send limits. */
  sendCurrentCode(user: User, context: FactorContext): Promise<ChallengeOutcome>;
  /** That code, bound to `context.interactionId` and the number it went to; single use. */
  verifyCurrentCode(userId: string, code: string, context: FactorContext): Promise<VerifyOutcome>;
  /** The new number this enrollment sent its code to, until it is committed. */
  pendingNumber(enrollment: Enrollment): Promise<PendingNumber | undefined>;
}

/** The registered SMS method, as PhoneChangeCodes. */
export function phoneChangeCodesOf(mfa: Mfa): PhoneChangeCodes {
  const sms = mfa.method('sms');
  if (!(sms instanceof SmsFactor)) throw new Error('the registered sms method is not the SMS factor');
  return {
    sendCurrentCode: (user, context) => sms.sendPhoneChangeCode(user, context),
    verifyCurrentCode: (userId, code, context) => sms.verifyPhoneChangeCode(userId, code, context),
    pendingNumber: (enrollment) => sms.pendingNumber(enrollment),
  };
}
