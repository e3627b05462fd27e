import type { AuditEventType } from '../audit/audit_log.ts';
import type { User } from '../directory/types.ts';

interface EmailTemplate {
  subject: string;
  body: string;
}

const NOT_YOU = 'If this was not you, contact your company administrator right away.';

/** The method named in an event's `detail.factor`: the email says what was actually set up or changed. */
type Method = 'totp' | 'sms';

/** Per method, for events about one method; the same text for all methods otherwise. */
type Templates = EmailTemplate | Record<Method, EmailTemplate>;

/** The events that email the user (ASVS 2.5.5 / 6.3.7). No code, secret or phone number ever appears in them. */
const TEMPLATES: Partial<Record<AuditEventType, Templates>> = {
  'mfa.enrolled': {
    totp: {
      subject: 'Two-factor authentication is on',
      body: 'An authenticator app was set up for two-factor authentication on your account.',
    },
    sms: {
      subject: 'Two-factor authentication is on',
      body: 'A phone number was set up to receive sign-in codes by text message for two-factor authentication on your account.',
    },
  },
  'mfa.authenticator_replaced': {
    totp: {
      subject: 'Your authenticator app was changed',
      body: 'A new authenticator app replaced the previous one on your account. The old app no longer works.',
    },
    sms: {
      subject: 'Your two-factor phone number was changed',
      body: 'A new phone number replaced the previous one for sign-in codes by text message on your account. The old number no longer receives codes.',
    },
  },
  'mfa.recovery_code_used': {
    subject: 'Your recovery code was used',
    body: 'Your recovery code was used to sign in. It no longer works, and the authenticator linked to your account was removed so a new one can be set up.',
  },
  'mfa.recovery_code_issued': {
    subject: 'You have a new recovery code',
    body: 'A new recovery code was created for your account. Any previous recovery code no longer works.',
  },
  'mfa.locked': {
    subject: 'Sign-in paused after failed verification attempts',
    body: 'There were too many failed two-factor verification attempts on your account, so verification is paused for a while.',
  },
};

function templateFor(templates: Templates, detail: Record<string, string> | undefined): EmailTemplate {
  if ('subject' in templates) return templates;
  // Callers always name the method; without one, the app (the only method before SMS) is assumed.
  return detail?.['factor'] === 'sms' ? templates.sms : templates.totp;
}

export function securityEmail(
  type: AuditEventType,
  user: User,
  productName: string,
  at: Date,
  detail?: Record<string, string>,
): { subject: string; text: string } | undefined {
  const templates = TEMPLATES[type];
  if (!templates) return undefined;
  const template = templateFor(templates, detail);
  return {
    subject: `${productName}: ${template.subject}`,
    text: [`Hello ${user.name},`, '', template.body, `When: ${at.toUTCString()}`, '', NOT_YOU, '', `— ${productName}`].join('\n'),
  };
}
