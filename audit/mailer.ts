export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** The notification port (adapters/mail.ts implements it). Messages never contain a code or a secret. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
