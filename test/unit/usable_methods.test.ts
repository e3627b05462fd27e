import assert from 'node:assert/strict';
import type { AllowedMethods } from '../../mfa/policy.ts';
import { DEFAULT_SMS_COUNTRIES } from '../../mfa/factors/sms/rules.ts';
import type { MethodId, PhoneRecord } from '../../mfa/store.ts';
import { enrollmentVerdict, usableMethods } from '../../mfa/usable_methods.ts';

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

  const verdicts: [string, Parameters<typeof enrollmentVerdict>[0], ReturnType<typeof enrollmentVerdict>][] = [
    ['no factor', { usable: [], recoveringSession: undefined, sessionUid: 's1' }, 'open'],
    ['an app', { usable: ['totp'], recoveringSession: undefined, sessionUid: 's1' }, 'has_factor'],
    ['a phone', { usable: ['sms'], recoveringSession: undefined, sessionUid: 's1' }, 'has_factor'],
    ['recovering in this session', { usable: [], recoveringSession: 's1', sessionUid: 's1' }, 'open'],
    ['recovering in another session', { usable: [], recoveringSession: 's1', sessionUid: 's2' }, 'recovering_elsewhere'],
    ['recovering, no session', { usable: [], recoveringSession: 's1', sessionUid: undefined }, 'recovering_elsewhere'],
  ];
  for (const [name, input, expected] of verdicts) {
    it(`enrolling without a challenge: ${name} → ${expected}`, () => {
      assert.equal(enrollmentVerdict(input), expected);
    });
  }
});
