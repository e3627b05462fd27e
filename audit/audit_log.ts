/** Security events, kept per user and per company for the admin console (a later issue reads them). */
export type AuditEventType =
  | 'mfa.enrolled'
  | 'mfa.authenticator_replaced'
  | 'mfa.enrollment_skipped'
  | 'mfa.challenge_succeeded'
  | 'mfa.challenge_failed'
  | 'mfa.locked'
  | 'mfa.recovery_code_used'
  | 'mfa.recovery_code_issued'
  | 'mfa.sms_refused'
  | 'sso.login'
  | 'sso.login_failed'
  | 'sso.user_created';

export interface AuditEvent {
  type: AuditEventType;
  /** Absent when no account is known (an SSO login refused before one was found): the company's event only. */
  userId: string | undefined;
  /** The companies whose admins may see the event (the user's active memberships). */
  companyIds: string[];
  at: number;
  ip: string;
  userAgent: string;
  detail?: Record<string, string>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** Newest first. */
  forUser(userId: string, limit: number): Promise<AuditEvent[]>;
  forCompany(companyId: string, limit: number): Promise<AuditEvent[]>;
}
