import type { OutgoingMail } from '../notify/outbox.ts';

/** The emails about a company's MFA deadline (enroll-before-enforcement-deadline.txt). */
export type DeadlineNoticeKind = 'announce' | 'remind_7' | 'remind_1';

export interface DeadlineNotice {
  kind: DeadlineNoticeKind;
  to: { name: string; email: string; enrolled: boolean };
  companyName: string;
  /** YYYY-MM-DD in `timeZone`. */
  date: string;
  timeZone: string;
  productName: string;
  /** Where to sign in and set up MFA early. */
  setupUrl: string;
}

/** "Monday, March 1, 2027 (Europe/Berlin)": the calendar date as the company reads it, with its zone. */
export function deadlineText(date: string, timeZone: string): string {
  // Noon UTC of the date, formatted in UTC, names that calendar day whatever the server's zone.
  const day = new Intl.DateTimeFormat('en-US', { dateStyle: 'full', timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`));
  return `${day} (${timeZone})`;
}

export function deadlineNoticeMail(notice: DeadlineNotice): OutgoingMail {
  const when = deadlineText(notice.date, notice.timeZone);
  const { productName, companyName, setupUrl, to } = notice;
  const subject = {
    announce: `MFA required from ${when}`,
    remind_7: `Reminder: MFA required in 7 days, from ${when}`,
    remind_1: `Reminder: MFA required tomorrow, ${when}`,
  }[notice.kind];
  const news = `${companyName} requires multi-factor authentication (MFA) to sign in to ${productName} from ${when}.`;
  const todo = to.enrolled
    ? ["You're all set: MFA is already set up on your account, so there is nothing to do."]
    : [
        'Set up MFA now to avoid any interruption on that day:',
        `  1. Go to My Profile Settings › Password & Security: ${setupUrl}`,
        '  2. Under Two-Factor Authentication (2FA), choose Add Authenticator App, or Add Phone Number for a text message.',
        '  3. Save your recovery code somewhere safe that you can reach from another device.',
        '',
        'From that day on, you will be asked to set up MFA before you can sign in.',
      ];
  return { to: to.email, subject: `${productName}: ${subject}`, text: [`Hello ${to.name},`, '', news, '', ...todo, '', `— ${productName}`].join('\n') };
}
