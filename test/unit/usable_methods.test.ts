import assert from 'node:assert/strict';
import type { AllowedMethods } from '../../mfa/policy.ts';
import { DEFAULT_SMS_COUNTRIES } from '../../mfa/sms_rules.ts';
import type { MethodId, PhoneRecord } from '../../mfa/store.ts';
import { canEnrollWithoutChallenge, usableMethods } from '../../mfa/usable_methods.ts';

const anyone: AllowedMethods = { totp: true, sms: { allowed: true, onlyCountries: 'default' } };
const payeeAdmin: AllowedMethods = { totp: true, sms: { allowed: true, onlyCountries: ['US'] } };
const payor: AllowedMethods = { totp: true, sms: { allowed: false, reason: 'payor' } };
const phone = (e164: string, country: string): PhoneRecord => ({ e164, country, createdAt: 0 });
const US = phone('+12015550123', 'US');
const UK = phone('+447400123456', 'GB');
const JP = phone('+819012345678', 'JP');

const rows: [string, { totp: boolean; phone: PhoneRecord | undefined }, AllowedMethods, readonly string[], MethodId[]][] = [
  ['nothing enrolled', { totp: false, phone: undefined }, anyone, DEFAULT_SMS_COUNTRIES, []],
  ['app and US phone', { totp: true, phone: US }, anyone, DEFAULT_SMS_COUNTRIES, ['totp', 'sms']],
  ['payor: the phone is not offered', { totp: true, phone: US }, payor, DEFAULT_SMS_COUNTRIES, ['totp']],
  ['payor with only a phone: nothing usable', { totp: false, phone: US }, payor, DEFAULT_SMS_COUNTRIES, []],
  ['payee admin, US phone', { totp: false, phone: US }, payeeAdmin, DEFAULT_SMS_COUNTRIES, ['sms']],
  ['payee admin, UK phone', { totp: true, phone: UK }, payeeAdmin, DEFAULT_SMS_COUNTRIES, ['totp']],
  ['a country no longer in SMS_COUNTRIES', { totp: false, phone: JP }, anyone, DEFAULT_SMS_COUNTRIES, []],
  ['SMS_COUNTRIES narrowed to GB', { totp: false, phone: US }, anyone, ['GB'], []],
];

describe('usable MFA methods (policy at every challenge)', () => {
  for (const [name, factors, allowed, countries, expected] of rows) {
    it(`${name} → [${expected.join(', ')}]`, () => {
      assert.deepEqual(usableMethods(factors, allowed, countries), expected);
    });
  }

  it('a sign-in enrolls without a challenge only while no method is usable', () => {
    assert.equal(canEnrollWithoutChallenge([]), true);
    assert.equal(canEnrollWithoutChallenge(['totp']), false);
    assert.equal(canEnrollWithoutChallenge(['sms']), false);
  });
});
