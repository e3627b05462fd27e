import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** The notification port. Messages never contain a code or a secret. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

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
