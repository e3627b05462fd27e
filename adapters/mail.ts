import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

import type { Mailer } from '../audit/mailer.ts';

export type { Mailer };

/** SMTP through nodemailer; `SMTP_URL` is a nodemailer connection URL such as smtp://127.0.0.1:2525. */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
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
