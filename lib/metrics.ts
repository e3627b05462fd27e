import type { Middleware } from 'koa';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { timingSafeEqual } from 'node:crypto';

/** The app's Prometheus metrics; one registry per app instance (tests run several in one process). */
export interface Metrics {
  registry: Registry;
  /** SMS codes handed to the gateway, by purpose and country. */
  smsSent: Counter<'purpose' | 'country'>;
  /** SMS codes entered correctly, by purpose and country: against smsSent, the conversion rate. */
  smsVerified: Counter<'purpose' | 'country'>;
  /** Sends refused by a limit or the cooldown. */
  smsRefused: Counter<'reason'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    smsSent: new Counter({ name: 'idp_sms_sent_total', help: 'SMS codes sent', labelNames: ['purpose', 'country'], registers: [registry] }),
    smsVerified: new Counter({ name: 'idp_sms_verified_total', help: 'SMS codes verified', labelNames: ['purpose', 'country'], registers: [registry] }),
    smsRefused: new Counter({ name: 'idp_sms_refused_total', help: 'SMS sends refused by a limit', labelNames: ['reason'], registers: [registry] }),
  };
}

/** `GET /metrics` with `Authorization: Bearer <METRICS_TOKEN>`; not served without a token. */
export function metricsRoute(metrics: Metrics, token: string | undefined): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/metrics' || ctx.method !== 'GET' || token === undefined) {
      await next();
      return;
    }
    const given = Buffer.from(ctx.get('authorization'));
    const expected = Buffer.from(`Bearer ${token}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      ctx.status = 401;
      ctx.body = { error: 'unauthorized' };
      return;
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}
