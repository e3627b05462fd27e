import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** The app's Prometheus metrics; one registry per app instance (tests run several in one process). */
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
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    smsSent: new Counter({ name: 'idp_sms_sent_total', help: 'SMS codes sent', labelNames: ['purpose', 'country'], registers: [registry] }),
    smsVerified: new Counter({ name: 'idp_sms_verified_total', help: 'SMS codes verified', labelNames: ['purpose', 'country'], registers: [registry] }),
    smsRefused: new Counter({ name: 'idp_sms_refused_total', help: 'SMS sends refused by a limit', labelNames: ['reason'], registers: [registry] }),
    mailDeliveries: new Counter({ name: 'idp_mail_deliveries_total', help: 'Queued email send attempts by outcome', labelNames: ['outcome'], registers: [registry] }),
  };
}
