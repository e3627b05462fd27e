import fc from 'fast-check';
import { formEncode, nearly } from './arbitraries.ts';

/** What the console's and the API's fuzz fill the company admin's inputs with. */
export const SETTINGS = {
  required: nearly('on', 'off', 'true', ''),
  enforcementDate: nearly('2027-03-01', '', '2024-02-29', '2023-02-29', '99999-01-01', '2027-3-1'),
  timeZone: nearly('Europe/Berlin', 'UTC', 'America/New_York', 'Etc/GMT+14', 'Europe/Nowhere', 'utc'),
  reverify: nearly('30d', '12h', '7d', '1d'),
};
export const RESET_EMAILS = nearly('Tom.Smith@ridge.test', 'nell@ridge.test', 'pia@ridge.test', 'ada@ridge.test', 'oli@other.test', 'ian@corp.test', 'nobody@ridge.test');
/** Company ids in a path: one the admin has, one she does not, and hostile ones (encoded, so they stay one segment). */
export const COMPANY_IDS = fc.oneof(nearly('ridge', 'delta', 'other', 'corp').map(formEncode), fc.constantFrom('%', '%zz', '%C0%80', '%ED%A0%80', '..', '%2e%2e', '%2F', '%00', 'ridge%00', '__proto__', 'constructor', 'x'.repeat(300)));

