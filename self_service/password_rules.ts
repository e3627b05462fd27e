import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as commonPack from '@zxcvbn-ts/language-common';
import * as englishPack from '@zxcvbn-ts/language-en';

/**
 * What a new password must be (NIST SP 800-63B §3.1.1.2): long enough, not too long to hash, and not
 * guessable; no composition rules (no "one digit, one symbol"). Length counts characters (code
 * points), not bytes, and nothing is trimmed or truncated.
 */

export const MIN_LENGTH = 8;
/** When the password is the account's only factor (no MFA method it may use), as NIST asks for single-factor passwords. */
export const MIN_LENGTH_ONLY_FACTOR = 15;
export const MAX_LENGTH = 128;
/**
 * zxcvbn's score 2 and up (an estimated 10^6 guesses or more) passes. Scores 0–1 are the passwords
 * of its common lists (whole, or with a few digits or l33t changes), repeats, sequences, keyboard
 * walks and dates. 10^6 is far beyond what online guessing gets through the per-account sign-in
 * limit; score 3 (10^8) would refuse every 8-character password, random ones included.
 */
export const MIN_ZXCVBN_SCORE = 2;
/** Parts of the email or name shorter than this are too common as substrings to refuse (they still count in the estimate). */
const MIN_NEEDLE = 3;

export type PasswordRefusal = 'too_short' | 'too_long' | 'contains_email' | 'contains_product_name' | 'common';

export type PasswordVerdict = { ok: true } | { ok: false; refusal: PasswordRefusal; message: string };

export interface PasswordContext {
  /** The account's email address: the whole of it, and the part before the @, may not appear. */
  email: string;
  /** The product's name (views/theme.ts): it may not appear either. */
  productName: string;
  /** No MFA method: the password alone protects the account, so it must be longer. */
  onlyFactor: boolean;
  /** The user's name, for the guessability estimate only (a surname in a password is guessable, not forbidden). */
  name?: string | undefined;
}

export function minimumLength(onlyFactor: boolean): number {
  return onlyFactor ? MIN_LENGTH_ONLY_FACTOR : MIN_LENGTH;
}

/** The rule, checked in this order: length, the email, the product name, guessability. */
export function checkNewPassword(password: string, context: PasswordContext): PasswordVerdict {
  const length = codePoints(password);
  const min = minimumLength(context.onlyFactor);
  if (length < min) {
    const why = context.onlyFactor ? ' Without two-factor authentication your password is all that protects your account, so it needs at least 15; with it, 8 are enough.' : '';
    return refuse('too_short', `Use at least ${min} characters.${why}`);
  }
  // Before the estimate, whose cost grows with the length.
  if (length > MAX_LENGTH) return refuse('too_long', `Use at most ${MAX_LENGTH} characters.`);
  const folded = fold(password);
  if (emailNeedles(context.email).some((needle) => folded.includes(needle))) {
    return refuse('contains_email', 'Your password must not contain your email address, nor the part of it before the @.');
  }
  if (productNeedles(context.productName).some((needle) => folded.includes(needle))) {
    return refuse('contains_product_name', `Your password must not contain “${context.productName}”.`);
  }
  const estimate = estimator().check(password, userInputs(context));
  if (estimate.score < MIN_ZXCVBN_SCORE) {
    const warning = estimate.feedback.warning ? ` ${estimate.feedback.warning}` : '';
    return refuse('common', `This password is too common or too easy to guess.${warning} Choose another: a few unrelated words make a strong one.`);
  }
  return { ok: true };
}

/** NIST counts each Unicode code point as one character (an emoji may be several; a letter never less than one). */
function codePoints(text: string): number {
  return Array.from(text).length;
}

function refuse(refusal: PasswordRefusal, message: string): PasswordVerdict {
  return { ok: false, refusal, message };
}

/**
 * Case-insensitive comparison, with compatibility forms (full-width letters) folded too, and the
 * invisible characters (zero-width space and joiners, soft hyphen, word joiner…) dropped: they would
 * otherwise hide the email or the product name from the check while the password reads the same.
 */
function fold(text: string): string {
  return text.normalize('NFKC').replace(/\p{Default_Ignorable_Code_Point}/gu, '').toLowerCase();
}

/** The whole address and the local part, as typed and without its separators (tom.smith → tomsmith). */
function emailNeedles(email: string): string[] {
  const whole = fold(email);
  const at = whole.lastIndexOf('@');
  const local = at > 0 ? whole.slice(0, at) : whole;
  return distinctNeedles([whole, local, local.replace(/[._+-]/g, '')]);
}

/** "Groundwork ID" as written, and run together (groundworkid). */
function productNeedles(productName: string): string[] {
  const name = fold(productName);
  return distinctNeedles([name, name.replace(/[\s._-]/g, '')]);
}

function distinctNeedles(needles: string[]): string[] {
  return [...new Set(needles)].filter((needle) => codePoints(needle) >= MIN_NEEDLE);
}

/** Words zxcvbn treats as known to an attacker: a password built on them scores low. */
function userInputs(context: PasswordContext): string[] {
  const words = (text: string): string[] => fold(text).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
  return [...new Set([fold(context.email), ...words(context.email), ...words(context.productName), fold(context.productName).replace(/\s/g, ''), ...(context.name ? words(context.name) : [])])];
}

let built: ZxcvbnFactory | undefined;

/** Built on first use: loading the dictionaries takes about 0.1 s. */
function estimator(): ZxcvbnFactory {
  built ??= new ZxcvbnFactory({
    dictionary: { ...commonPack.dictionary, ...englishPack.dictionary },
    graphs: commonPack.adjacencyGraphs,
    translations: englishPack.translations,
  });
  return built;
}
