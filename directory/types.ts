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
  /**
   * Counts the deadline announcements made so far (admin/mfa_settings.ts): each one's emails go out
   * once, so a deadline moved away and back again is announced again. Absent before the first.
   */
  announcements?: number | undefined;
}

/** Who runs MFA for a federated account: the company's IdP, or our steps after the SSO login. */
export const SSO_MFA_MODES = ['idp', 'local'] as const;
export type SsoMfaMode = (typeof SSO_MFA_MODES)[number];

/** Federation to the company's own IdP by OpenID Connect (SAML 2.0 would be a second `type`). */
export interface OidcSsoConnection {
  type: 'oidc';
  /** The upstream issuer: https, or http on a loopback address outside production. */
  issuer: string;
  clientId: string;
  /** The client secret sealed with MFA_ENCRYPTION_KEYS, bound to the company id (sso/secret.ts). */
  sealedClientSecret: string;
  scopes: string[];
  mfa: SsoMfaMode;
  /** Create an account for an unknown user of the company's domains on their first SSO login. */
  jit: boolean;
  /** Upstream `acr` values that prove MFA (for `mfa: "idp"`); forwarded upstream on step-up. */
  mfaAcrValues: string[];
}
export type SsoConnection = OidcSsoConnection;

/** A federated identity: the upstream account (issuer, sub) of a company's connection. */
export interface FederatedSubject {
  companyId: string;
  issuer: string;
  subject: string;
}

export interface Company {
  id: string;
  name: string;
  /** Domains in IDNA ASCII form, lower case (`xn--bcher-kva.example`); used to route logins and to check directory membership. */
  emailDomains: string[];
  /** IANA time zone in which the enforcement date is read. */
  timeZone: string;
  mfa: CompanyMfaSettings;
  /** At most one connection; its `emailDomains` log in there instead of by password. */
  sso: SsoConnection | null;
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
