import type { Logger } from 'pino';
import type { SmsGatewayConfig } from '../config/config.ts';
import type { SmsGateway } from '../mfa/factors/sms/gateway.ts';

export class SmsSendError extends Error {
  override name = 'SmsSendError';
}


/**
 * Twilio's Messages REST API: a form-encoded POST with basic auth, answered 201 with JSON.
 * Each request gives up after `timeoutMs` (SMS_GATEWAY_TIMEOUT_SECONDS), so a silent gateway holds
 * the person's request that long at most. One retry on a 5xx or a refused connection; none after a
 * timeout, since Twilio may have taken the message and a second request could text the code twice
 * (and the wait would double): a send takes at most two timeouts, and a stalled gateway one.
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
          const res = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body: form, signal: AbortSignal.timeout(config.timeoutMs) });
          status = res.status;
          await res.body?.cancel();
        } catch (err) {
          const timedOut = err instanceof Error && err.name === 'TimeoutError';
          logger.warn({ err: err instanceof Error ? err.message : String(err), attempt, timedOut }, timedOut ? 'sms gateway did not answer in time' : 'sms gateway unreachable');
          if (attempt < 2 && !timedOut) continue;
          throw new SmsSendError(timedOut ? 'gateway timed out' : 'gateway unreachable');
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
