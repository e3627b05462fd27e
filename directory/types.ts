/** The directory: companies, users, and the memberships that join them. */

export const TOOLS = ['companyAdmin', 'directory'] as const;
export type Tool = (typeof TOOLS)[number];

export const PERMISSION_LEVELS = ['none', 'read_only', 'standard', 'admin'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export const PAY_ROLES = ['payor', 'payee_admin', 'payments_disburser', 'payments_approver', 'payee'] as const;
export type PayRole = (typeof PAY_ROLES)[number];

export const REVERIFY_FREQUENCIES = ['12h', '7d', '30d'] as const;
export type ReverifyFrequency = (typeof REVERIFY_FREQUENCIES)[number];

export interface CompanyMfaSettings {
  required: boolean;
  /** A calendar date (YYYY-MM-DD) in the company's time zone; MFA is required from this day on. */
  enforcementDate: string | undefined;
  reverify: ReverifyFrequency;
}

/** Federation to the company's own IdP. Empty until the SSO issue fills it in. */
export type SsoConnection = null;

export interface Company {
  id: string;
  name: string;
  /** Domains in IDNA ASCII form, lower case (`xn--bcher-kva.example`); used to route logins and to check directory membership. */
  emailDomains: string[];
  /** IANA time zone in which the enforcement date is read. */
  timeZone: string;
  mfa: CompanyMfaSettings;
  sso: SsoConnection;
}

export type UserStatus = 'active' | 'disabled';

export interface User {
  /** Opaque and stable: it is the OIDC `sub`. */
  id: string;
  /** As the user entered it (in NFC), for display. Compare with `emailLookupKey` (email_address.ts). */
  email: string;
  emailVerified: boolean;
  name: string;
  givenName: string | undefined;
  familyName: string | undefined;
  /** argon2id PHC string; absent for accounts that can only log in through SSO. */
  passwordHash: string | undefined;
  status: UserStatus;
}

export type MembershipStatus = 'active' | 'inactive';

export interface Membership {
  userId: string;
  companyId: string;
  status: MembershipStatus;
  permissions: Record<Tool, PermissionLevel>;
  payRoles: PayRole[];
}
