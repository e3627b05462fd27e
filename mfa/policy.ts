import { parseEmailAddress } from '../directory/email_address.ts';
import type { Company, Membership, PayRole, ReverifyFrequency, SsoMfaMode, User } from '../directory/types.ts';

/** Which second factors a user may enroll. SMS country rules are refined by the SMS issue. */
export interface AllowedMethods {
  totp: true;
  sms: { allowed: false; reason: 'payor' } | { allowed: true; onlyCountries: string[] | 'default' };
}

const PAY_REASON = 'pay:';

/** Is our MFA required because of a Procore Pay role (which no company IdP's MFA can stand in for)? */
export function requiredForPay(requirement: MfaRequirement): boolean {
  return requirement.kind === 'required' && requirement.reasons.some((reason) => reason.startsWith(PAY_REASON));
}

/**
 * The company's IdP runs this account's MFA: SSO with `mfa: "idp"`, and no Procore Pay role (which
 * needs ours whatever the IdP proves). Such an account has nothing to enroll or reset here, gets no
 * deadline emails, and Password & Security shows it no MFA controls.
 */
export function mfaRunByIdp(requirement: MfaRequirement | undefined): boolean {
  return requirement?.federation?.mode === 'idp' && !requiredForPay(requirement);
}

/**
 * An account federated to its company's IdP: its email's domain is one that company's SSO connection
 * logs in, and it is an active member there. `reverifySeconds` is that company's re-verification
 * period, which for `mfa: "idp"` sends the user through the IdP again.
 */
export interface Federation {
  companyId: string;
  mode: SsoMfaMode;
  reverifySeconds: number;
}

interface RequirementCommon {
  methods: AllowedMethods;
  reverifySeconds: number;
  federation: Federation | undefined;
}

export type MfaRequirement =
  | ({ kind: 'required'; reasons: string[] } & RequirementCommon)
  | ({ kind: 'optional_enrollment'; deadline: string } & RequirementCommon)
  | ({ kind: 'none' } & RequirementCommon);

export interface PolicyInput {
  user: User;
  memberships: Membership[];
  companies: Map<string, Company>;
  /** True when the user has at least one second factor (an authenticator app or a phone). */
  enrolled: boolean;
  /** A recovery code removed the user's factors and no new one is enrolled yet. */
  recovering: boolean;
  now: Date;
}

const REVERIFY_SECONDS: Record<ReverifyFrequency, number> = { '12h': 12 * 3600, '7d': 7 * 86400, '30d': 30 * 86400 };
/** No policy asks for MFA more often than this, so an MFA younger than it is fresh for everyone. */
export const SHORTEST_REVERIFY_SECONDS = Math.min(...Object.values(REVERIFY_SECONDS));
/** For users who must or chose to use MFA without a company setting (Pay roles, own enrollment). */
export const DEFAULT_REVERIFY_SECONDS = REVERIFY_SECONDS['30d'];

/**
 * Must this user do MFA, and how? Pure: the caller loads the data.
 * - Only active memberships count; a company's rule applies to all its active members.
 * - Several companies: the strictest wins (required over optional, the earliest deadline, the
 *   shortest re-verification).
 * - A company that requires MFA from a date: optional before it, required on and after it, the date
 *   read in the company's time zone.
 * - Any Procore Pay role requires MFA whatever the company says; payors may use the app only,
 *   payee admins SMS to US numbers only.
 * - A user with a factor enrolled is always challenged.
 * - A user who used their recovery code must enroll a new factor: no "Skip for now" until then.
 * - An account federated with `mfa: "idp"` is outside our MFA for its company: that company's
 *   setting, the factors enrolled here and a recovery do not call for our steps. A Procore Pay role
 *   and other companies' settings still do (the IdP's proven MFA satisfies the latter: gate.ts).
 */
export function mfaRequirementFor(input: PolicyInput): MfaRequirement {
  const active = activeMemberships(input.memberships, input.companies);
  const federation = federationOf(input.user, active, input.companies);
  const idp = federation?.mode === 'idp';
  const reasons: string[] = [];
  const deadlines: string[] = [];
  let reverifySeconds = DEFAULT_REVERIFY_SECONDS;

  for (const membership of active) {
    const company = input.companies.get(membership.companyId);
    if (!company) continue;
    if (membership.payRoles.length > 0) reasons.push(`${PAY_REASON}${company.id}`);
    if (!company.mfa.required || (idp && company.id === federation.companyId)) continue;
    reverifySeconds = Math.min(reverifySeconds, REVERIFY_SECONDS[company.mfa.reverify]);
    const deadline = company.mfa.enforcementDate;
    if (deadline === undefined || localDate(input.now, company.timeZone) >= deadline) reasons.push(`company:${company.id}`);
    else deadlines.push(deadline);
  }
  if (input.enrolled && !idp) reasons.push('enrolled');
  if (input.recovering && !idp) reasons.push('recovery');

  const common = { methods: allowedMethods(active), reverifySeconds, federation };
  if (reasons.length > 0) return { kind: 'required', reasons, ...common };
  const earliest = deadlines.sort()[0];
  if (earliest !== undefined) return { kind: 'optional_enrollment', deadline: earliest, ...common };
  return { kind: 'none', ...common };
}

/**
 * The company an account is federated to: the one among its active memberships whose SSO connection
 * logs in the domain of its email. (Routing sends that email to the same company's IdP.)
 */
export function federationOf(user: User, active: readonly Membership[], companies: Map<string, Company>): Federation | undefined {
  const parsed = parseEmailAddress(user.email);
  if (!parsed.ok) return undefined;
  for (const membership of active) {
    const company = companies.get(membership.companyId);
    if (company?.sso && company.emailDomains.includes(parsed.email.asciiDomain)) {
      return { companyId: company.id, mode: company.sso.mfa, reverifySeconds: REVERIFY_SECONDS[company.mfa.reverify] };
    }
  }
  return undefined;
}

/** The methods the Procore Pay rules allow this user, at enrollment and at every challenge. */
export function allowedMethodsFor(memberships: Membership[], companies: Map<string, Company>): AllowedMethods {
  return allowedMethods(activeMemberships(memberships, companies));
}

function activeMemberships(memberships: Membership[], companies: Map<string, Company>): Membership[] {
  return memberships.filter((m) => m.status === 'active' && companies.has(m.companyId));
}

function allowedMethods(active: Membership[]): AllowedMethods {
  return methodsAllowedForPayRoles(active.flatMap((m) => m.payRoles));
}

/** The Procore Pay method rules, from the roles of a user's active memberships. */
export function methodsAllowedForPayRoles(payRoles: readonly PayRole[]): AllowedMethods {
  const roles = new Set(payRoles);
  if (roles.has('payor')) return { totp: true, sms: { allowed: false, reason: 'payor' } };
  if (roles.has('payee_admin')) return { totp: true, sms: { allowed: true, onlyCountries: ['US'] } };
  return { totp: true, sms: { allowed: true, onlyCountries: 'default' } };
}

/** The calendar date (YYYY-MM-DD) at `now` in `timeZone`. */
export function localDate(now: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
