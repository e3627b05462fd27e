import type { AuditEvent, AuditLog } from '../audit/audit_log.ts';
import type { DirectoryStore } from '../directory/store.ts';
import type { User } from '../directory/types.ts';
import { maskPhoneWithCountry } from '../mfa/phone_change.ts';
import { mfaRunByIdp } from '../mfa/policy.ts';
import type { Mfa } from '../mfa/service.ts';
import type { MfaFactorStore } from '../mfa/store.ts';

/** One method as the Password & Security page lists it. */
export interface MethodOverview {
  id: string;
  /** "Authenticator app", "Text message (SMS)". */
  label: string;
  enrolled: boolean;
  preferred: boolean;
  /** The masked number, for the phone. */
  detail: string | undefined;
  /** Epoch ms it was added. */
  addedAt: number | undefined;
  /** Why it may not be added (a Pay payor and SMS), if it may not. */
  refusal: string | undefined;
}

export interface SecurityOverview {
  user: User;
  /** The company's IdP runs this account's MFA (SSO `mfa: "idp"`, no Pay role): no MFA controls here. */
  mfaAtIdp: boolean;
  /** MFA is required for this user now: the last method may not be removed. */
  mfaRequired: boolean;
  /** The company's deadline, when enrollment is still optional. */
  deadline: string | undefined;
  methods: MethodOverview[];
  recoveryCode: { exists: boolean; issuedAt: number | undefined };
  hasPassword: boolean;
  recentEvents: AuditEvent[];
}

const RECENT_EVENTS = 15;

/** What the Password & Security page shows, read in one go. */
export async function securityOverview(deps: { directory: DirectoryStore; mfa: Mfa; store: MfaFactorStore; audit: AuditLog }, userId: string): Promise<SecurityOverview | undefined> {
  const { mfa, store, audit } = deps;
  const [options, factors, totp, phone, recentEvents] = await Promise.all([mfa.verificationOptions(userId), store.factorsOf(userId), store.getTotp(userId), store.getPhone(userId), audit.forUser(userId, RECENT_EVENTS)]);
  if (!options) return undefined;
  const { user, requirement } = options;
  const methods = mfa.methods.map((method): MethodOverview => {
    const enrolled = method.isEnrolled(factors);
    const isPhone = method.id === 'sms';
    return {
      id: method.id,
      label: method.label,
      enrolled,
      preferred: enrolled && factors.preferred === method.id,
      detail: isPhone && phone ? maskPhoneWithCountry(phone.e164) : undefined,
      addedAt: isPhone ? phone?.createdAt : method.id === 'totp' ? totp?.createdAt : undefined,
      refusal: method.enrollmentRefusal(requirement.methods),
    };
  });
  return {
    user,
    mfaAtIdp: mfaRunByIdp(requirement),
    mfaRequired: requirement.kind === 'required',
    deadline: requirement.kind === 'optional_enrollment' ? requirement.deadline : undefined,
    methods,
    recoveryCode: { exists: factors.recoveryCode, issuedAt: factors.recoveryCodeIssuedAt },
    hasPassword: user.passwordHash !== undefined,
    recentEvents,
  };
}
