import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { AllowedMethods } from '../../policy.ts';

export { DEFAULT_SMS_COUNTRIES } from '../../../config/config.ts';

export type SmsRefusal = 'invalid' | 'not_mobile' | 'country' | 'payor' | 'pay_us_only';

export type SmsNumberVerdict = { allowed: true; e164: string; country: CountryCode } | { allowed: false; reason: SmsRefusal };


/** Types that can receive a text; US and Canadian numbers cannot be told apart and come as FIXED_LINE_OR_MOBILE. */
const SMS_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

/**
 * Can this number receive sign-in codes for this user? Pure. The number is parsed with full metadata
 * (`libphonenumber-js/max`: the default metadata cannot tell number types apart).
 * - only valid numbers of a mobile type: premium-rate, toll-free, shared-cost, VoIP, pager,
 *   voicemail, personal and non-geographic numbers are refused;
 * - only in the configured countries (by default the Procore list);
 * - Procore Pay: payors may not use SMS at all; payee admins only with US numbers.
 */
export function checkSmsNumber(input: { number: string; country?: string | undefined }, sms: AllowedMethods['sms'], countries: readonly string[]): SmsNumberVerdict {
  if (!sms.allowed) return { allowed: false, reason: 'payor' };
  const phone = parsePhoneNumberFromString(input.number.trim(), isCountryCode(input.country) ? input.country : undefined);
  if (!phone?.isValid()) return { allowed: false, reason: 'invalid' };
  const type = phone.getType();
  if (type === undefined || !SMS_TYPES.has(type)) return { allowed: false, reason: 'not_mobile' };
  const country = phone.country;
  if (country === undefined) return { allowed: false, reason: 'not_mobile' };
  if (sms.onlyCountries !== 'default' && !sms.onlyCountries.includes(country)) return { allowed: false, reason: 'pay_us_only' };
  if (!countries.includes(country)) return { allowed: false, reason: 'country' };
  return { allowed: true, e164: phone.number, country };
}

/** Every refusal says why and points to the authenticator app, which works everywhere. */
export const SMS_REFUSAL_MESSAGES: Record<SmsRefusal, string> = {
  invalid: 'That is not a valid phone number. Check the country code and the number.',
  not_mobile: 'Text messages can only go to a mobile number. Toll-free, premium-rate, shared-cost, internet (VoIP), pager and landline numbers cannot be used.',
  country: 'SMS verification is not available for numbers in that country.',
  payor: 'Procore Pay payors must use an authenticator app.',
  pay_us_only: 'For Procore Pay, SMS verification is limited to United States numbers.',
};

export const USE_THE_APP = 'You can use an authenticator app instead: it works everywhere.';

/** Masks all but the last four digits, e.g. `•••• •• 1234`. */
export function maskPhone(e164: string): string {
  return `•••• •• ${e164.slice(-4)}`;
}

/** The number as Password & Security shows it: the country calling code, then the last four digits (`+44 •••• ••3456`). */
export function maskPhoneWithCountry(e164: string): string {
  const code = parsePhoneNumberFromString(e164)?.countryCallingCode;
  return code ? `+${code} •••• ••${e164.slice(-4)}` : maskPhone(e164);
}

function isCountryCode(value: string | undefined): value is CountryCode {
  return typeof value === 'string' && /^[A-Z]{2}$/.test(value);
}
