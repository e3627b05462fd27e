import type { AuditEventType } from '../audit/audit_log.ts';
import type { User } from '../directory/types.ts';
import { methodEmails } from './registry.ts';

interface EmailTemplate {
  subject: string;
  body: string;
}

const NOT_YOU = 'If this was not you, contact your company administrator right away.';
const NOT_YOUR_REQUEST = 'If you did not ask for this, contact your company administrator right away: someone may be trying to take over your account.';

/** Events about one method take its texts, from the registry; the method is named in `detail.factor`. */
const METHOD_EVENTS: Partial<Record<AuditEventType, 'enrolled' | 'replaced'>> = {
  'mfa.enrolled': 'enrolled',
  'mfa.authenticator_replaced': 'replaced',
};

/** The other events that email the user (ASVS 2.5.5 / 6.3.7). No code, secret or phone number ever appears in them. */
const TEMPLATES: Partial<Record<AuditEventType, EmailTemplate>> = {
  'mfa.recovery_code_used': {
    subject: 'Your recovery code was used',
    body: 'Your recovery code was used to sign in. It no longer works, and the two-factor methods on your account were removed so new ones can be set up.',
  },
  'mfa.recovery_code_issued': {
    subject: 'You have a new recovery code',
    body: 'A new recovery code was created for your account. Any previous recovery code no longer works.',
  },
  // Never the number, old or new: the email may be read by whoever took the account over.
  'mfa.phone_changed': {
    subject: 'Your two-factor phone number was changed',
    body: 'The phone number that receives your sign-in codes by text message was changed in Password & Security. The previous number no longer receives codes, and your other sessions were signed out.',
  },
  'password.changed': {
    subject: 'Your password was changed',
    body: 'The password of your account was changed in Password & Security. Your other sessions were signed out, and apps signed in there must sign in again.',
  },
  'mfa.locked': {
    subject: 'Sign-in paused after failed verification attempts',
    body: 'There were too many failed two-factor verification attempts on your account, so verification is paused for a while.',
  },
};

/** Who reset the account's MFA, from the `mfa.reset` event's detail. */
function resetTemplate(detail: Record<string, string> | undefined): EmailTemplate {
  const by = detail?.['by'] === 'support' ? 'support' : `an administrator of ${detail?.['companyName'] ?? 'your company'}`;
  return {
    subject: 'Your two-factor authentication was reset',
    body: `Your two-factor authentication (MFA) was reset by ${by}. Your authenticator app, phone number and recovery code were removed and you were signed out everywhere; the next time you sign in you will set up MFA again.`,
  };
}

/**
 * A method removed in Password & Security (`mfa.method_removed`). It names no method (no method's
 * texts are looked up here by id), and says when it was the last one: MFA is then off and the
 * recovery code went with it (`detail.lastFactor`).
 */
function removedTemplate(detail: Record<string, string> | undefined): EmailTemplate {
  const last = detail?.['lastFactor'] === 'yes' ? ' It was your last method: two-factor authentication is now off for your account, and your recovery code was removed with it.' : '';
  return {
    subject: 'A two-factor method was removed',
    body: `A two-factor authentication method was removed from your account in Password & Security.${last}`,
  };
}

function templateFor(type: AuditEventType, detail: Record<string, string> | undefined): EmailTemplate | undefined {
  if (type === 'mfa.reset') return resetTemplate(detail);
  if (type === 'mfa.method_removed') return removedTemplate(detail);
  const methodEvent = METHOD_EVENTS[type];
  if (methodEvent === undefined) return TEMPLATES[type];
  // An event about a method that is not registered (any more) names no method rather than a wrong one.
  return methodEmails(detail?.['factor'] ?? '')?.[methodEvent] ?? { subject: 'Your two-factor authentication changed', body: 'A two-factor authentication method on your account was set up or changed.' };
}

export function securityEmail(
  type: AuditEventType,
  user: User,
  productName: string,
  at: Date,
  detail?: Record<string, string>,
): { subject: string; text: string } | undefined {
  const template = templateFor(type, detail);
  if (!template) return undefined;
  const notYou = type === 'mfa.reset' ? NOT_YOUR_REQUEST : NOT_YOU;
  return {
    subject: `${productName}: ${template.subject}`,
    text: [`Hello ${user.name},`, '', template.body, `When: ${at.toUTCString()}`, '', notYou, '', `— ${productName}`].join('\n'),
  };
}
