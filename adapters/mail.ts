import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

import type { Mailer } from '../notify/mailer.ts';

export type { Mailer };

/** SMTP through nodemailer; `SMTP_URL` is a nodemailer connection URL such as smtp://127.0.0.1:2525. */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  // Well inside the outbox's 5-minute lease (notify/delivery.ts): a stalled server fails the attempt,
  // to be retried, before another instance could take the job over and send it a second time.
  const transport = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 });
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
  };
}

/** Development: the message is logged instead of sent. */
export function logMailer(logger: Logger): Mailer {
  return {
    send(message) {
      logger.info({ mail: message }, 'email (not sent: SMTP_URL is not set)');
      return Promise.resolve();
    },
  };
}
