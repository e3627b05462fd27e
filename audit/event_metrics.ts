import type { Metrics } from '../lib/metrics.ts';
import type { AuditEventType } from './audit_log.ts';

/** The counters an audit event moves (SecurityEvents counts each event it records, once, here). */
export type SecurityEventMetrics = Pick<Metrics, 'securityEvents' | 'logins' | 'mfaEnrollments' | 'lockouts' | 'recoveryCodesUsed' | 'mfaResets'>;

/** Label values come from fixed lists: a detail is free text to the audit log, not to Prometheus. */
const FACTORS: ReadonlySet<string> = new Set(['totp', 'sms', 'recovery_code']);
const RESETTERS: ReadonlySet<string> = new Set(['company_admin', 'support']);

const oneOf = (allowed: ReadonlySet<string>, value: string | undefined): string => (value !== undefined && allowed.has(value) ? value : 'other');

/**
 * Counts a recorded audit event: every event by type, and the ones an operator watches under their
 * own names. The audit point is the one place each of these happens, whichever use case (sign-in,
 * Password & Security, the admin console, SSO) caused it.
 */
export function countSecurityEvent(metrics: SecurityEventMetrics, type: AuditEventType, detail: Record<string, string> | undefined): void {
  metrics.securityEvents.inc({ type });
  switch (type) {
    case 'mfa.enrolled':
      metrics.mfaEnrollments.inc({ factor: oneOf(FACTORS, detail?.['factor']), change: 'new' });
      return;
    case 'mfa.authenticator_replaced':
    case 'mfa.phone_changed':
      metrics.mfaEnrollments.inc({ factor: oneOf(FACTORS, detail?.['factor']), change: 'replaced' });
      return;
    case 'mfa.locked':
      metrics.lockouts.inc({ kind: 'mfa', scope: 'account' });
      return;
    case 'mfa.recovery_code_used':
      metrics.recoveryCodesUsed.inc();
      return;
    case 'mfa.reset':
      metrics.mfaResets.inc({ by: oneOf(RESETTERS, detail?.['by']) });
      return;
    case 'sso.login':
      metrics.logins.inc({ method: 'sso', result: 'success' });
      return;
    case 'sso.login_failed':
      metrics.logins.inc({ method: 'sso', result: 'failed' });
      return;
    default:
      return;
  }
}
