import type { Logger } from 'pino';
import type { SmsGatewayConfig } from '../config/config.ts';
import type { SmsGateway } from '../mfa/factors/sms/gateway.ts';

export class SmsSendError extends Error {
  override name = 'SmsSendError';
}


const TIMEOUT_MS = 5000;

/**
 * Twilio's Messages REST API: a form-encoded POST with basic auth, answered 201 with JSON.
 * One retry on a 5xx or a network error, each attempt with a timeout.
 */
export function twilioGateway(config: Extract<SmsGatewayConfig, { kind: 'twilio' }>, logger: Logger): SmsGateway {
  const url = `${config.apiBase}/2010-04-01/Accounts/${encodeURIComponent(config.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
  return {
    async send(to, body) {
      const form = new URLSearchParams({ To: to, Body: body, ...('from' in config.from ? { From: config.from.from } : { MessagingServiceSid: config.from.messagingServiceSid }) });
      for (let attempt = 1; ; attempt++) {
        let status: number;
        try {
          const res = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: form, signal: AbortSignal.timeout(TIMEOUT_MS) });
          status = res.status;
          await res.body?.cancel();
        } catch (err) {
          logger.warn({ err: err instanceof Error ? err.message : String(err), attempt }, 'sms gateway unreachable');
          if (attempt < 2) continue;
          throw new SmsSendError('gateway unreachable');
        }
        if (status === 201) return;
        logger.warn({ status, attempt }, 'sms gateway refused the message');
        if (status >= 500 && attempt < 2) continue;
        throw new SmsSendError(`gateway answered ${status}`);
      }
    },
  };
}

/** Development only: the message (with its code) goes to the log, since nothing is sent. */
export function logGateway(logger: Logger): SmsGateway {
  return {
    send(to, body) {
      logger.warn({ sms: { to, body } }, 'DEVELOPMENT SMS (SMS_GATEWAY=log): not sent');
      return Promise.resolve();
    },
  };
}
