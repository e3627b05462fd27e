import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from './clock.ts';
import { withinDeadline } from './deadline.ts';

/**
 * The app's Prometheus metrics; one registry per app instance (tests run several in one process).
 * Every label takes its values from a fixed set the code chooses (a factor id, an outcome, a route
 * template), never from the request: no ids, emails or paths, so the series stay few.
 * docs/metrics.md describes each one; test/unit/metrics_docs.test.ts keeps that page, the Grafana
 * dashboard and the alert rules true to this registry.
 */
export interface Metrics {
  registry: Registry;
  /** SMS codes handed to the gateway, by purpose and country. */
  smsSent: Counter<'purpose' | 'country'>;
  /** SMS codes entered correctly, by purpose and country: against smsSent, the conversion rate. */
  smsVerified: Counter<'purpose' | 'country'>;
  /** Sends refused by a limit or the cooldown. */
  smsRefused: Counter<'reason'>;
  /** Outbox send attempts by outcome: sent, retry (failed, tried again later), given_up (failed for ~3 days, dropped). */
  mailDeliveries: Counter<'outcome'>;
  /** Sign-ins by first factor: password (success, invalid, throttled) and sso (success, failed). */
  logins: Counter<'method' | 'result'>;
  /** MFA code checks (sign-in and re-verification) by factor and result: success, failed, locked (refused unchecked). */
  mfaChallenges: Counter<'factor' | 'result'>;
  /** Factors committed, by factor: `new` (a first or another factor) or `replaced` (an app or a number changed). */
  mfaEnrollments: Counter<'factor' | 'change'>;
  /** Locks that started: kind login (scope account or ip) or mfa (scope account). */
  lockouts: Counter<'kind' | 'scope'>;
  /** Recovery codes used to sign in. */
  recoveryCodesUsed: Counter;
  /** MFA resets by who did them: company_admin, support. */
  mfaResets: Counter<'by'>;
  /** Every audit event recorded, by type (audit/audit_log.ts). */
  securityEvents: Counter<'type'>;
  /** An already used refresh token or authorization code presented again: the grant was revoked. */
  tokenReuse: Counter<'grant_type'>;
  /** Request duration by route template (never the raw path), method and status class. */
  httpRequestSeconds: Histogram<'route' | 'method' | 'status_class'>;
  /** argon2id password verifications (dummy ones for unknown accounts included). */
  passwordVerifySeconds: Histogram;
  /** Redis commands by name, as node-redis reports them (EVALSHA, GET, …). */
  redisCommandSeconds: Histogram<'command'>;
}

/** What the mail outbox holds now (notify/outbox.ts `stats()`). */
export interface MailQueueStats {
  depth: number;
  /** When the longest-waiting job was queued (epoch ms); undefined when the queue is empty. */
  oldestQueuedAtMs: number | undefined;
}

export interface MetricsOptions {
  /** Read at each scrape for the queue gauges; a failure leaves them unset for that scrape. */
  mailQueueStats?: (() => Promise<MailQueueStats>) | undefined;
  clock?: Clock | undefined;
}

/** A scrape waits this long for the queue's figures (a stalled store), then leaves them out. */
const MAIL_QUEUE_STATS_TIMEOUT_MS = 1000;

/** Seconds. Pages take a few ms, a login's argon2 step ~15 ms; the request deadline is 15 s. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];
/** argon2id at OWASP's parameters takes ~10–20 ms of one core; queued behind other work, more. */
const ARGON2_BUCKETS = [0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1];
/** A healthy Redis answers in well under a millisecond on a LAN. */
const REDIS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  if (options.mailQueueStats) mailQueueGauges(registry, options.mailQueueStats, options.clock ?? Date.now);
  return {
    registry,
    smsSent: new Counter({ name: 'idp_sms_sent_total', help: 'SMS codes sent', labelNames: ['purpose', 'country'], registers }),
    smsVerified: new Counter({ name: 'idp_sms_verified_total', help: 'SMS codes verified', labelNames: ['purpose', 'country'], registers }),
    smsRefused: new Counter({ name: 'idp_sms_refused_total', help: 'SMS sends refused by a limit', labelNames: ['reason'], registers }),
    mailDeliveries: new Counter({ name: 'idp_mail_deliveries_total', help: 'Queued email send attempts by outcome', labelNames: ['outcome'], registers }),
    logins: new Counter({ name: 'idp_logins_total', help: 'Sign-ins by first factor and result', labelNames: ['method', 'result'], registers }),
    mfaChallenges: new Counter({ name: 'idp_mfa_challenges_total', help: 'MFA code checks by factor and result', labelNames: ['factor', 'result'], registers }),
    mfaEnrollments: new Counter({ name: 'idp_mfa_enrollments_total', help: 'MFA factors committed, by factor and change', labelNames: ['factor', 'change'], registers }),
    lockouts: new Counter({ name: 'idp_lockouts_total', help: 'Locks started, by kind and scope', labelNames: ['kind', 'scope'], registers }),
    recoveryCodesUsed: new Counter({ name: 'idp_recovery_codes_used_total', help: 'Recovery codes used to sign in', registers }),
    mfaResets: new Counter({ name: 'idp_mfa_resets_total', help: 'MFA resets by who did them', labelNames: ['by'], registers }),
    securityEvents: new Counter({ name: 'idp_security_events_total', help: 'Audit events recorded, by type', labelNames: ['type'], registers }),
    tokenReuse: new Counter({ name: 'idp_token_reuse_detected_total', help: 'Used refresh tokens or codes presented again', labelNames: ['grant_type'], registers }),
    httpRequestSeconds: new Histogram({
      name: 'idp_http_request_duration_seconds',
      help: 'Request duration by route template, method and status class',
      labelNames: ['route', 'method', 'status_class'],
      buckets: HTTP_BUCKETS,
      registers,
    }),
    passwordVerifySeconds: new Histogram({ name: 'idp_password_verify_duration_seconds', help: 'argon2id password verification duration', buckets: ARGON2_BUCKETS, registers }),
    redisCommandSeconds: new Histogram({ name: 'idp_redis_command_duration_seconds', help: 'Redis command duration by command', labelNames: ['command'], buckets: REDIS_BUCKETS, registers }),
  };
}

/**
 * The outbox's depth and the age of its oldest job, read when Prometheus scrapes. One read serves
 * both gauges. If the store does not answer (down, or stalled past the timeout) the gauges are left
 * without a value for that scrape: the scrape itself still succeeds, and "absent" is not "empty".
 */
function mailQueueGauges(registry: Registry, read: () => Promise<MailQueueStats>, clock: Clock): void {
  let pending: Promise<MailQueueStats | undefined> | undefined;
  // Both gauges are collected in the same tick of a scrape: they share the one read in flight.
  const statsOnce = (): Promise<MailQueueStats | undefined> => {
    pending ??= withinDeadline(read(), MAIL_QUEUE_STATS_TIMEOUT_MS, () => new Error('mail queue stats timed out'))
      .catch(() => undefined)
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  new Gauge({
    name: 'idp_mail_queue_depth',
    help: 'Emails queued and not yet sent or given up',
    registers: [registry],
    async collect() {
      const stats = await statsOnce();
      if (stats) this.set(stats.depth);
      else this.remove();
    },
  });
  new Gauge({
    name: 'idp_mail_queue_oldest_age_seconds',
    help: 'How long the oldest queued email has waited (0 when the queue is empty)',
    registers: [registry],
    async collect() {
      const stats = await statsOnce();
      if (!stats) {
        this.remove();
        return;
      }
      this.set(stats.oldestQueuedAtMs === undefined ? 0 : Math.max(0, (clock() - stats.oldestQueuedAtMs) / 1000));
    },
  });
}
