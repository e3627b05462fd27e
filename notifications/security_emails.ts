import type { AuditEventType } from '../audit/audit_log.ts';
import type { User } from '../directory/types.ts';

interface EmailTemplate {
  subject: string;
  body: string;
}

const NOT_YOU = 'If this was not you, contact your company administrator right away.';

/** The events that email the user (ASVS 2.5.5 / 6.3.7). No code or secret ever appears in them. */
const TEMPLATES: Partial<Record<AuditEventType, EmailTemplate>> = {
  'mfa.enrolled': {
    subject: 'Two-factor authentication is on',
    body: 'An authenticator app was set up for two-factor authentication on your account.',
  },
  'mfa.authenticator_replaced': {
    subject: 'Your authenticator app was changed',
    body: 'A new authenticator app replaced the previous one on your account. The old app no longer works.',
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

export function securityEmail(type: AuditEventType, user: User, productName: string, at: Date): { subject: string; text: string } | undefined {
  const template = TEMPLATES[type];
  if (!template) return undefined;
  return {
    subject: `${productName}: ${template.subject}`,
    text: [`Hello ${user.name},`, '', template.body, `When: ${at.toUTCString()}`, '', NOT_YOU, '', `— ${productName}`].join('\n'),
  };
}
