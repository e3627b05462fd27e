import assert from 'node:assert/strict';
import type { AuditEventType } from '../../audit/audit_log.ts';
import type { User } from '../../directory/types.ts';
import { securityEmail } from '../../mfa/security_emails.ts';

const USER = { id: 'usr_1', email: 'pat@acme.test', name: 'Pat Doe' } as User;
const AT = new Date(Date.UTC(2026, 10, 23, 12, 0, 0));

describe('security emails name the method that changed', () => {
  const cases: { type: AuditEventType; factor: string; subject: RegExp; says: RegExp; never: RegExp }[] = [
    { type: 'mfa.enrolled', factor: 'totp', subject: /Two-factor authentication is on/, says: /An authenticator app was set up/, never: /text message/i },
    { type: 'mfa.enrolled', factor: 'sms', subject: /Two-factor authentication is on/, says: /phone number was set up to receive sign-in codes by text message/, never: /authenticator app/i },
    { type: 'mfa.authenticator_replaced', factor: 'totp', subject: /Your authenticator app was changed/, says: /A new authenticator app replaced the previous one/, never: /phone/i },
    { type: 'mfa.authenticator_replaced', factor: 'sms', subject: /Your two-factor phone number was changed/, says: /A new phone number replaced the previous one/, never: /authenticator app/i },
  ];
  for (const c of cases) {
    it(`${c.type} (${c.factor})`, () => {
      const email = securityEmail(c.type, USER, 'Groundwork ID', AT, { factor: c.factor });
      assert.ok(email);
      assert.match(email.subject, c.subject);
      assert.match(email.text, c.says);
      assert.doesNotMatch(`${email.subject}\n${email.text}`, c.never);
    });
  }

  it('the recovery code email names no one method: every method was removed', () => {
    const email = securityEmail('mfa.recovery_code_used', USER, 'Groundwork ID', AT, { factor: 'recovery_code' });
    assert.ok(email);
    assert.match(email.text, /two-factor methods on your account were removed/);
    assert.doesNotMatch(email.text, /authenticator/i);
  });

  it('an event about a method that is not registered names no method', () => {
    const email = securityEmail('mfa.enrolled', USER, 'Groundwork ID', AT, { factor: 'carrier-pigeon' });
    assert.ok(email);
    assert.doesNotMatch(email.text, /authenticator app|phone number/i);
  });

  it('events without an email get none', () => {
    assert.equal(securityEmail('mfa.challenge_failed', USER, 'Groundwork ID', AT, { factor: 'sms' }), undefined);
  });
});
