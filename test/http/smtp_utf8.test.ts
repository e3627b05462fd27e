import assert from 'node:assert/strict';
import type { User } from '../../directory/types.ts';
import { smtpMailer } from '../../adapters/mail.ts';
import { securityEmail } from '../../mfa/security_emails.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

const FROM = 'Groundwork ID <no-reply@localhost>';
const userWith = (email: string): User => ({ id: 'usr_1', email, name: 'José Núñez' }) as User;

/** Security emails to internationalized addresses (RFC 6531), over a real SMTP server. */
describe('security emails to internationalized addresses', () => {
  const send = async (smtp: TestSmtpServer, to: string) => {
    const email = securityEmail('mfa.enrolled', userWith(to), 'Groundwork ID', new Date(), { factor: 'totp' });
    assert.ok(email);
    await smtpMailer(smtp.url, FROM).send({ to, ...email });
  };

  describe('a server that offers SMTPUTF8', () => {
    const smtp = new TestSmtpServer();
    before(() => smtp.start());
    after(() => smtp.stop());

    it('gets the UTF-8 address in RCPT TO, with SMTPUTF8 on MAIL FROM', async () => {
      await send(smtp, 'josé@bücher.example');
      assert.deepEqual(smtp.commands.filter((c) => /^(MAIL|RCPT) /.test(c)), ['MAIL FROM:<no-reply@localhost> SMTPUTF8', 'RCPT TO:<josé@bücher.example>']);
      const [mail] = smtp.received;
      assert.ok(mail);
      assert.deepEqual(mail.to, ['josé@bücher.example']);
      assert.equal(mail.smtpUtf8, true, 'the session used the extension');
      assert.match(mail.subject, /Two-factor authentication is on/);
      assert.match(mail.raw, /^To: josé@bücher\.example$/m, 'the header is UTF-8 too (RFC 6532)');
    });
  });

  describe('a server that does not offer SMTPUTF8', () => {
    const smtp = new TestSmtpServer({ offerSmtpUtf8: false });
    before(() => smtp.start());
    after(() => smtp.stop());

    it('gets an ASCII local part with the domain as an A-label, without the extension', async () => {
      await send(smtp, 'safe@bücher.example');
      assert.deepEqual(smtp.commands.filter((c) => /^(MAIL|RCPT) /.test(c)), ['MAIL FROM:<no-reply@localhost>', 'RCPT TO:<safe@xn--bcher-kva.example>']);
      assert.equal(smtp.received[0]?.smtpUtf8, false);
    });
  });
});
