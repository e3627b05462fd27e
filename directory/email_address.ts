import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * Email addresses, ASCII and internationalized (RFC 6531/6532), as this product accepts them:
 * the one rule behind the seed, the login email step and the admin console.
 *
 * For ASCII the rule is the one the seed always had (zod's `z.email()`): dot-separated atoms of
 * letters, digits and `_ ' + -` (not ending in `'`), then a host name of at least two labels with
 * an alphabetic top-level domain. Internationalization widens it only where the RFCs do:
 * - the local part may also hold letters, marks and digits of any script (`\p{L}\p{M}\p{N}`), but no
 *   spaces, controls, invisible format characters (bidi overrides, joiners), symbols or punctuation;
 * - the domain may be written in Unicode (U-labels) or in IDNA ASCII form (A-labels): node:url's
 *   `domainToASCII` (WHATWG/UTS #46: NFC, case folding, IDNA validity) decides, and an `xn--` label
 *   must decode to a real Unicode label. A top-level domain may then be an A-label too.
 * Lengths follow RFC 5321 as RFC 6531 counts them, in UTF-8 octets: local part 64, address 254,
 * DNS name 253 with labels of 63 (in A-label form).
 */
export interface EmailAddress {
  /** NFC, otherwise as entered (case and domain form kept): what is stored and shown. */
  readonly address: string;
  /** The domain in IDNA ASCII form, lower case (`xn--bcher-kva.example`): what routing compares. */
  readonly asciiDomain: string;
  /** The same for every spelling of one mailbox (case, NFC/NFD, U- or A-label domain): what lookups use. */
  readonly key: string;
}

export type EmailProblem = 'no_at' | 'local_part' | 'domain' | 'too_long';

export type DomainProblem = 'domain' | 'too_long';

export type ParsedEmail = { ok: true; email: EmailAddress } | { ok: false; problem: EmailProblem };
export type ParsedDomain = { ok: true; ascii: string; unicode: string } | { ok: false; problem: DomainProblem };

/** For operators (seed import, admin console); the login page says only "Enter a valid email address." */
export const EMAIL_PROBLEM_MESSAGES: Record<EmailProblem, string> = {
  no_at: 'an email address needs an "@" between the name and the domain',
  local_part: 'the part before "@" may hold letters, marks and digits of any script, "_", "\'", "+", "-" and single dots between them',
  domain: 'not a valid domain name (ASCII or internationalized)',
  too_long: 'too long (at most 64 bytes before "@", 254 in all, a domain of 253 with labels of 63)',
};

export const DOMAIN_PROBLEM_MESSAGES: Record<DomainProblem, string> = {
  domain: 'not a domain name (ASCII or internationalized)',
  too_long: 'a domain name is at most 253 characters in IDNA ASCII form, with labels of 63',
};

// ASCII: exactly zod's atom characters. Non-ASCII: letters, marks and digits only. An atom starts
// with a letter, digit or ASCII symbol (not a combining mark), and the local part does not end in "'".
const ATOM = String.raw`[\p{L}\p{N}_'+\-][\p{L}\p{M}\p{N}_'+\-]*`;
const LOCAL_PART = new RegExp(String.raw`^(?!.*'$)${ATOM}(?:\.${ATOM})*$`, 'u');

/** In a Unicode domain, the only ASCII allowed is what a host name has; IDNA judges the rest. */
const DOMAIN_INPUT = /^[A-Za-z0-9.\-\P{ASCII}]+$/u;
/** zod's host rule on the A-label form, with an internationalized top-level domain allowed. */
const ASCII_DOMAIN = /^(?:[a-z0-9][a-z0-9-]*\.)+(?:[a-z]{2,}|xn--[a-z0-9-]+)$/;
const PUNYCODE_LABEL = /^xn--/;

const MAX_LOCAL_OCTETS = 64;
const MAX_ADDRESS_OCTETS = 254;
const MAX_DOMAIN_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

const octets = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Validates a domain as written in an address or in a company's `emailDomains`. */
export function parseDomain(input: string): ParsedDomain {
  const domain = input.normalize('NFC');
  if (!DOMAIN_INPUT.test(domain)) return { ok: false, problem: 'domain' };
  const ascii = domainToASCII(domain);
  if (ascii === '' || !ASCII_DOMAIN.test(ascii)) return { ok: false, problem: 'domain' };
  const labels = ascii.split('.');
  if (ascii.length > MAX_DOMAIN_LENGTH || labels.some((label) => label.length > MAX_LABEL_LENGTH)) return { ok: false, problem: 'too_long' };
  // domainToASCII passes undecodable `xn--` labels through unchanged; a real A-label decodes to
  // non-ASCII and encodes back to itself.
  for (const label of labels.filter((l) => PUNYCODE_LABEL.test(l))) {
    const decoded = domainToUnicode(label);
    if (decoded === label || !/\P{ASCII}/u.test(decoded) || domainToASCII(decoded) !== label) return { ok: false, problem: 'domain' };
  }
  const unicode = domainToUnicode(ascii);
  // A U-label may not start with a hyphen either (its A-label, "xn--…", would hide it).
  if (unicode.split('.').some((label) => label.startsWith('-'))) return { ok: false, problem: 'domain' };
  return { ok: true, ascii, unicode };
}

/** Validates and normalizes an address. Surrounding whitespace is not trimmed: callers decide. */
export function parseEmailAddress(input: string): ParsedEmail {
  // A generous bound before normalizing: no valid address is this long in any normalization form.
  if (input.length > 3 * MAX_ADDRESS_OCTETS) return { ok: false, problem: 'too_long' };
  const address = input.normalize('NFC');
  const at = address.lastIndexOf('@');
  if (at === -1) return { ok: false, problem: 'no_at' };
  const localPart = address.slice(0, at);
  if (!LOCAL_PART.test(localPart)) return { ok: false, problem: 'local_part' };
  const domain = parseDomain(address.slice(at + 1));
  if (!domain.ok) return domain;
  if (octets(localPart) > MAX_LOCAL_OCTETS || octets(address) > MAX_ADDRESS_OCTETS) return { ok: false, problem: 'too_long' };
  return { ok: true, email: { address, asciiDomain: domain.ascii, key: `${lowerCaseNfc(localPart)}@${domain.ascii}` } };
}

/**
 * The lookup key of an address (directory index, login throttle): the local part in NFC and lower
 * case, the domain in its IDNA ASCII form (A-labels, lower case). So for an ASCII address, one with an
 * `xn--` domain included, the key is the address in lower case, as every version before
 * internationalized addresses stored it: those accounts keep their index entries and throttle counters.
 * Total: what is not a valid address (a store read with unchecked input) gets NFC and lower case,
 * as every key did before internationalized addresses were accepted.
 */
export function emailLookupKey(input: string): string {
  const trimmed = input.trim();
  const parsed = parseEmailAddress(trimmed);
  return parsed.ok ? parsed.email.key : lowerCaseNfc(trimmed);
}

/**
 * Emails are case-insensitive in this product: Unicode's default lower-case mapping (`toLowerCase`,
 * locale-independent) between NFC passes, so the result is NFC again. Not full case folding, which
 * would also make "straße" and "strasse" one mailbox. See docs/decisions.md (Login).
 */
function lowerCaseNfc(s: string): string {
  return s.normalize('NFC').toLowerCase().normalize('NFC');
}
