import assert from 'node:assert/strict';
import { checkSmsNumber, maskPhone, type SmsRefusal } from '../../mfa/factors/sms/rules.ts';
import type { AllowedMethods } from '../../mfa/policy.ts';
import { smsText } from '../../mfa/factors/sms/sms.ts';

const DEFAULT_COUNTRIES = ['US', 'CA', 'MX', 'GB', 'IE', 'FR', 'DE', 'ES', 'IT', 'AU', 'NZ', 'SG', 'HK'];
const anyone: AllowedMethods['sms'] = { allowed: true, onlyCountries: 'default' };
const payeeAdmin: AllowedMethods['sms'] = { allowed: true, onlyCountries: ['US'] };
const payor: AllowedMethods['sms'] = { allowed: false, reason: 'payor' };

type Expect = { e164: string } | SmsRefusal;
const rows: [string, string, string | undefined, AllowedMethods['sms'], Expect][] = [
  // Allowed: mobile numbers of each listed country (US and Canada come as FIXED_LINE_OR_MOBILE).
  ['US (fixed line or mobile)', '+1 201 555 0123', undefined, anyone, { e164: '+12015550123' }],
  ['US, national format with the country picked', '(201) 555-0123', 'US', anyone, { e164: '+12015550123' }],
  ['Canada', '+1 506 234 5678', undefined, anyone, { e164: '+15062345678' }],
  ['Mexico', '+52 55 1234 5678', undefined, anyone, { e164: '+525512345678' }],
  ['UK mobile, national format', '07400 123456', 'GB', anyone, { e164: '+447400123456' }],
  ['Ireland', '+353 85 123 4567', undefined, anyone, { e164: '+353851234567' }],
  ['France', '+33 6 12 34 56 78', undefined, anyone, { e164: '+33612345678' }],
  ['Germany', '+49 1512 3456789', undefined, anyone, { e164: '+4915123456789' }],
  ['Spain', '+34 612 34 56 78', undefined, anyone, { e164: '+34612345678' }],
  ['Italy', '+39 312 345 6789', undefined, anyone, { e164: '+393123456789' }],
  ['Australia', '+61 412 345 678', undefined, anyone, { e164: '+61412345678' }],
  ['New Zealand', '+64 21 234 567', undefined, anyone, { e164: '+6421234567' }],
  ['Singapore', '+65 8123 4567', undefined, anyone, { e164: '+6581234567' }],
  ['Hong Kong', '+852 5123 4567', undefined, anyone, { e164: '+85251234567' }],
  // Countries outside the list.
  ['Brazil mobile', '+55 11 96123 4567', undefined, anyone, 'country'],
  ['India mobile', '+91 81234 56789', undefined, anyone, 'country'],
  ['China mobile', '+86 138 0013 8000', undefined, anyone, 'country'],
  ['Austria mobile', '+43 664 123456', undefined, anyone, 'country'],
  // Number types that cannot take a sign-in text.
  ['US toll-free', '+1 800 234 5678', undefined, anyone, 'not_mobile'],
  ['US premium rate', '+1 900 234 5678', undefined, anyone, 'not_mobile'],
  ['US personal number', '+1 500 234 5678', undefined, anyone, 'not_mobile'],
  ['UK landline', '+44 20 7946 0958', undefined, anyone, 'not_mobile'],
  ['UK VoIP', '+44 56 1234 5678', undefined, anyone, 'not_mobile'],
  ['UK pager', '+44 76 2345 6789', undefined, anyone, 'not_mobile'],
  ['UK personal number', '+44 70 1234 5678', undefined, anyone, 'not_mobile'],
  ['UK premium rate', '+44 845 464 0000', undefined, anyone, 'not_mobile'],
  ['UK UAN', '+44 300 123 4567', undefined, anyone, 'not_mobile'],
  ['France shared cost', '+33 810 12 34 56', undefined, anyone, 'not_mobile'],
  ['Germany landline', '+49 30 123456', undefined, anyone, 'not_mobile'],
  ['Germany pager', '+49 164 12345678', undefined, anyone, 'not_mobile'],
  ['non-geographic (international freephone)', '+800 1234 5678', undefined, anyone, 'not_mobile'],
  // Not numbers.
  ['too short', '+1 415', undefined, anyone, 'invalid'],
  ['letters', 'call me', 'US', anyone, 'invalid'],
  ['no country and no +', '2015550123', undefined, anyone, 'invalid'],
  ['unknown country code value', '2015550123', 'XX', anyone, 'invalid'],
  // Procore Pay.
  ['payee admin, US number', '+1 201 555 0123', undefined, payeeAdmin, { e164: '+12015550123' }],
  ['payee admin, UK mobile', '+44 7400 123456', undefined, payeeAdmin, 'pay_us_only'],
  ['payee admin, Canada (same +1)', '+1 506 234 5678', undefined, payeeAdmin, 'pay_us_only'],
  ['payor, any number', '+1 201 555 0123', undefined, payor, 'payor'],
];

describe('can this number receive SMS codes?', () => {
  for (const [name, number, country, sms, expected] of rows) {
    it(`${name} → ${typeof expected === 'string' ? `refused (${expected})` : 'allowed'}`, () => {
      const verdict = checkSmsNumber({ number, country }, sms, DEFAULT_COUNTRIES);
      if (typeof expected === 'string') assert.deepEqual(verdict, { allowed: false, reason: expected });
      else {
        assert.equal(verdict.allowed, true);
        assert.equal(verdict.allowed && verdict.e164, expected.e164);
      }
    });
  }

  it('the country list is configurable', () => {
    assert.equal(checkSmsNumber({ number: '+447400123456' }, anyone, ['US']).allowed, false);
    assert.equal(checkSmsNumber({ number: '+5511961234567' }, anyone, ['BR']).allowed, true);
  });

  it('masks all but the last four digits', () => {
    assert.equal(maskPhone('+12015550123'), '•••• •• 0123');
  });

  it('the text carries the code, its lifetime and the origin-bound line, nothing else', () => {
    assert.equal(smsText('123456', 'login.example.com'), 'Your sign-in code is 123456. It expires in 10 minutes.\n\n@login.example.com #123456');
  });
});
