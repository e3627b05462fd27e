/** Security events, kept per user and per company; the admin console's audit trail reads them. */
export const AUDIT_EVENT_TYPES = [
  'mfa.enrolled',
  'mfa.authenticator_replaced',
  'mfa.enrollment_skipped',
  'mfa.challenge_succeeded',
  'mfa.challenge_failed',
  'mfa.locked',
  'mfa.recovery_code_used',
  'mfa.recovery_code_issued',
  'mfa.sms_refused',
  'mfa.reset',
  'mfa.phone_changed',
  'mfa.method_removed',
  'password.changed',
  'sso.login',
  'sso.login_failed',
  'sso.user_created',
  'policy.changed',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

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

/** A company's events that match every given filter (the admin console's audit trail). */
export interface AuditQuery {
  types?: readonly AuditEventType[] | undefined;
  userId?: string | undefined;
  /** Epoch ms, inclusive. */
  from?: number | undefined;
  /** Epoch ms, inclusive. */
  to?: number | undefined;
  /** The `next` of the previous page: the page continues with older events. Opaque to callers. */
  cursor?: string | undefined;
  limit: number;
}

/** An event as listed, with the log's own id for it (stable, unique within the company). */
export interface ListedAuditEvent extends AuditEvent {
  id: string;
}

export interface AuditPage {
  /** Newest first. */
  events: ListedAuditEvent[];
  /** Present when older matching events may follow. */
  next: string | undefined;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** Newest first. */
  forUser(userId: string, limit: number): Promise<AuditEvent[]>;
  forCompany(companyId: string, limit: number): Promise<AuditEvent[]>;
  /**
   * One page of a company's events, newest first. A malformed cursor throws `BadCursorError`.
   * Scans a bounded number of events per call, so a page may be short (even empty) with a `next`.
   */
  search(companyId: string, query: AuditQuery): Promise<AuditPage>;
}

export class BadCursorError extends Error {
  override name = 'BadCursorError';
  constructor() {
    super('the audit cursor is not one this log issued');
  }
}
