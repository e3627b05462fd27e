import type { MfaRequirement } from '../mfa/policy.ts';

/** What the console needs of the MFA module (mfa/service.ts `Mfa` provides it). */
export interface MemberMfa {
  /** The methods the account has enrolled, whatever its policy allows now. */
  enrolledMethods(userId: string): Promise<string[]>;
  requirementOf(userId: string): Promise<MfaRequirement | undefined>;
  /** Removes every factor and the recovery code at once, and clears the lockout. */
  resetAllFactors(userId: string): Promise<void>;
}

/** Ends every browser session of an account and revokes its grants and tokens (provider/sign_ins.ts). */
export interface AccountSessions {
  endEverySessionOf(accountId: string): Promise<void>;
}
