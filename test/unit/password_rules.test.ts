import assert from 'node:assert/strict';
import { checkNewPassword, MAX_LENGTH, minimumLength, type PasswordContext, type PasswordRefusal } from '../../self_service/password_rules.ts';

const WITH_MFA: PasswordContext = { email: 'Tom.Smith@ridge.test', productName: 'Groundwork ID', onlyFactor: false, name: 'Tom Smith' };
const ONLY_FACTOR: PasswordContext = { ...WITH_MFA, email: 'dee@delta.test', onlyFactor: true, name: 'Dee Delta' };

type Expect = 'ok' | PasswordRefusal;
const rows: [string, string, PasswordContext, Expect][] = [
  // Length: 8 with MFA, 15 as the only factor, 128 at most; characters, not bytes.
  ['7 characters', 'qL8#vR2', WITH_MFA, 'too_short'],
  ['8 random characters, with MFA', 'qL8#vR2!', WITH_MFA, 'ok'],
  ['8 lower-case letters, with MFA (no composition rules)', 'kxqmplwz', WITH_MFA, 'ok'],
  ['14 characters, with MFA', 'Tr4il-Map-Quar', WITH_MFA, 'ok'],
  ['14 characters, the only factor', 'Tr4il-Map-Quar', ONLY_FACTOR, 'too_short'],
  ['15 characters, the only factor', 'Tr4il-Map-Quart', ONLY_FACTOR, 'ok'],
  ['empty', '', WITH_MFA, 'too_short'],
  ['7 emoji are 7 characters (14 UTF-16 units, 28 bytes)', '🔑🦦🌊🚲🎻🧭🪁', WITH_MFA, 'too_short'],
  ['8 emoji are 8 characters', '🔑🦦🌊🏔🚲🎻🧭🪁', WITH_MFA, 'ok'],
  ['spaces count and are kept', 'zebra quilt mango', ONLY_FACTOR, 'ok'],
  [`${MAX_LENGTH} characters`, 'river-otter-lamp-27 '.repeat(7).slice(0, MAX_LENGTH), WITH_MFA, 'ok'],
  [`${MAX_LENGTH + 1} characters`, 'river-otter-lamp-27 '.repeat(7).slice(0, MAX_LENGTH + 1), WITH_MFA, 'too_long'],
  // The email, whole or its local part, in any case; the product name, as written or run together.
  ['the whole email', 'my tom.smith@ridge.test!', WITH_MFA, 'contains_email'],
  ['the local part, another case', 'TOM.SMITH-rocks-2024', WITH_MFA, 'contains_email'],
  ['the local part run together', 'x-tomsmith-quartz', WITH_MFA, 'contains_email'],
  ['a three-letter local part', 'dee-quartz-lantern-42', ONLY_FACTOR, 'contains_email'],
  ['the product name', 'I love Groundwork ID a lot', ONLY_FACTOR, 'contains_product_name'],
  ['the product name run together, another case', 'GROUNDWORKID-quartz-9', WITH_MFA, 'contains_product_name'],
  ['full-width letters fold to the product name', 'ｇｒｏｕｎｄｗｏｒｋ ｉｄ lantern', WITH_MFA, 'contains_product_name'],
  // Common or guessable (zxcvbn score below 2), whatever the length.
  ['a top password', 'password', WITH_MFA, 'common'],
  ['a common password with digits', 'password123', WITH_MFA, 'common'],
  ['a common password with the usual capital and symbol', 'Password1!', WITH_MFA, 'common'],
  ['l33t of a common password', 'P@ssw0rd2024', WITH_MFA, 'common'],
  ['a keyboard walk', 'qwertyuiop123', WITH_MFA, 'common'],
  ['a long sequence, 16 characters', '1234567890123456', ONLY_FACTOR, 'common'],
  ['a repeat, 16 characters', 'letmein!letmein!', ONLY_FACTOR, 'common'],
  ['one character repeated', 'aaaaaaaaaaaaaaaa', ONLY_FACTOR, 'common'],
  ['a month and a year', 'January2025', WITH_MFA, 'common'],
  ['part of the product name with a year (a known word to an attacker)', 'groundwork2024', WITH_MFA, 'common'],
  ['unrelated words', 'correct horse battery staple', ONLY_FACTOR, 'ok'],
];

describe('the new-password rule (NIST SP 800-63B)', () => {
  for (const [what, password, context, expected] of rows) {
    it(`${what}: ${expected}`, () => {
      const verdict = checkNewPassword(password, context);
      assert.equal(verdict.ok ? 'ok' : verdict.refusal, expected, verdict.ok ? '' : verdict.message);
    });
  }

  it('says why, in words a user can act on', () => {
    const messages = (password: string, context: PasswordContext): string => {
      const verdict = checkNewPassword(password, context);
      assert.equal(verdict.ok, false);
      return verdict.ok ? '' : verdict.message;
    };
    assert.match(messages('short', WITH_MFA), /at least 8 characters/);
    assert.match(messages('Tr4il-Map-Quar', ONLY_FACTOR), /at least 15 characters.*two-factor/);
    assert.match(messages('x'.repeat(129), WITH_MFA), /at most 128 characters/);
    assert.match(messages('password123', WITH_MFA), /too common or too easy to guess/);
    assert.match(messages('password123', WITH_MFA), /commonly used password/, "zxcvbn's own warning is passed on");
    assert.match(messages('TOM.SMITH-rocks-2024', WITH_MFA), /must not contain your email address/);
    assert.match(messages('GROUNDWORKID-quartz-9', WITH_MFA), /must not contain “Groundwork ID”/);
  });

  it('asks 15 characters only of a password that is the only factor', () => {
    assert.equal(minimumLength(false), 8);
    assert.equal(minimumLength(true), 15);
  });
});
