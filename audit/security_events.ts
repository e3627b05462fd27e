import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditEventType, AuditLog } from './audit_log.ts';
import type { DirectoryStore } from '../directory/store.ts';
import type { User } from '../directory/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { MailQueue } from '../notify/outbox.ts';
import { countSecurityEvent, type SecurityEventMetrics } from './event_metrics.ts';

export interface RequestMeta {
  ip: string;
  userAgent: string;
}

/**
 * Records a security event: always in the audit log (a failure there fails the request), and by
 * email where the user must know. The email is queued (notify/), not sent in the request: an SMTP
 * outage delays it instead of losing it. A failure to queue is logged, not raised: the user has
 * already changed their factor, and refusing the login would not undo it.
 */
/** The email for an event, if the user must be told (the texts are MFA's: mfa/security_emails.ts). */
export type SecurityEmailFor = (type: AuditEventType, user: User, productName: string, at: Date, detail?: Record<string, string>) => { subject: string; text: string } | undefined;

export interface SecurityEventDeps {
  audit: AuditLog;
  mail: MailQueue;
  emailFor: SecurityEmailFor;
  directory: DirectoryStore;
  clock: Clock;
  logger: Logger;
  productName: string;
  /** Counts each event once it is recorded (audit/event_metrics.ts). */
  metrics?: SecurityEventMetrics | undefined;
}

export class SecurityEvents {
  readonly #deps: SecurityEventDeps;

  constructor(deps: SecurityEventDeps) {
    this.#deps = deps;
  }

  async record(type: AuditEventType, user: User, meta: RequestMeta, detail?: Record<string, string>): Promise<void> {
    const { audit, mail, emailFor, directory, clock, logger, productName } = this.#deps;
    const at = clock();
    const companyIds = (await directory.membershipsOfUser(user.id)).filter((m) => m.status === 'active').map((m) => m.companyId);
    await audit.record({ type, userId: user.id, companyIds, at, ip: meta.ip, userAgent: meta.userAgent.slice(0, 256), ...(detail ? { detail } : {}) });
    if (this.#deps.metrics) countSecurityEvent(this.#deps.metrics, type, detail);
    logger.info({ event: type, userId: user.id }, 'security event');
    const email = emailFor(type, user, productName, new Date(at), detail);
    if (!email) return;
    try {
      // Every event is its own email: the random part keeps two events in one millisecond apart.
      await mail.enqueueOnce(`security:${user.id}:${type}:${at}:${randomUUID()}`, { to: user.email, ...email });
    } catch (err) {
      logger.error({ err, event: type, userId: user.id }, 'security email not sent');
    }
  }

  /** An event of a company's with no account to attach it to (an SSO login refused before one was found). */
  async recordForCompany(type: AuditEventType, companyId: string, meta: RequestMeta, detail?: Record<string, string>): Promise<void> {
    const { audit, clock, logger } = this.#deps;
    await audit.record({ type, userId: undefined, companyIds: [companyId], at: clock(), ip: meta.ip, userAgent: meta.userAgent.slice(0, 256), ...(detail ? { detail } : {}) });
    if (this.#deps.metrics) countSecurityEvent(this.#deps.metrics, type, detail);
    logger.info({ event: type, companyId, ...(detail?.['reason'] ? { reason: detail['reason'] } : {}) }, 'security event');
  }
}
