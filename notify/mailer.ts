import type { OutgoingMail } from './outbox.ts';

/**
 * Sends one email now (adapters/mail.ts implements it over SMTP). Only MailDelivery calls it: domain
 * code queues through MailQueue, so a send failure is retried instead of lost.
 */
export interface Mailer {
  send(message: OutgoingMail): Promise<void>;
}
