import { REVERIFY_FREQUENCIES, type Company, type CompanyMfaSettings, type ReverifyFrequency } from '../directory/types.ts';
import { localDate } from '../mfa/policy.ts';

/** The MFA tab's form, as the console and the API send it (validated before it gets here). */
export interface MfaSettingsInput {
  required: boolean;
  /** YYYY-MM-DD, read in `timeZone`; undefined: MFA is required at once when `required`. */
  enforcementDate: string | undefined;
  /** IANA zone; it becomes the company's time zone. */
  timeZone: string;
  reverify: ReverifyFrequency;
}

export { REVERIFY_FREQUENCIES };

export { isTimeZone, timeZoneChoices } from '../directory/time_zones.ts';

/** Is `date` a real calendar date in YYYY-MM-DD form (not 2027-02-30)? */
export function isCalendarDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === date;
}

/** The deadline users are held to: none while MFA is not required. */
export interface EffectiveDeadline {
  required: boolean;
  date: string | undefined;
  timeZone: string;
}

export interface SettingsChange {
  company: Company;
  /** Field → [old, new], only for what changed: the `policy.changed` audit detail. */
  changed: Record<string, [string, string]>;
  /**
   * The members must hear of the deadline: MFA is required with a date, and the date, the zone it
   * is read in, or "Require MFA" itself changed. Saving the same settings again announces nothing.
   */
  announce: boolean;
}

/** Applies the form to the company. Pure. */
export function applyMfaSettings(company: Company, input: MfaSettingsInput): SettingsChange {
  const mfa: CompanyMfaSettings = { required: input.required, enforcementDate: input.enforcementDate, reverify: input.reverify, announcements: company.mfa.announcements };
  let updated: Company = { ...company, timeZone: input.timeZone, mfa };
  const before = describe(company);
  const after = describe(updated);
  const changed: Record<string, [string, string]> = {};
  for (const key of Object.keys(after)) {
    if (before[key] !== after[key]) changed[key] = [before[key] ?? '', after[key] ?? ''];
  }
  const previous = effectiveDeadline(company);
  const next = effectiveDeadline(updated);
  const announce = next.required && next.date !== undefined && (previous.required !== next.required || previous.date !== next.date || previous.timeZone !== next.timeZone);
  // Each announcement gets its number: two identical saves racing share it (one email each), while a
  // deadline moved away and back is a new announcement.
  if (announce) updated = { ...updated, mfa: { ...mfa, announcements: (company.mfa.announcements ?? 0) + 1 } };
  return { company: updated, changed, announce };
}

export function effectiveDeadline(company: Company): EffectiveDeadline {
  return { required: company.mfa.required, date: company.mfa.required ? company.mfa.enforcementDate : undefined, timeZone: company.timeZone };
}

function describe(company: Company): Record<string, string> {
  return {
    required: String(company.mfa.required),
    enforcementDate: company.mfa.enforcementDate ?? '',
    timeZone: company.timeZone,
    reverify: company.mfa.reverify,
  };
}

/** Whole days from `now` (in the zone) to the date: 0 on the day itself, negative once past. */
export function daysUntil(date: string, now: Date, timeZone: string): number {
  const today = Date.parse(`${localDate(now, timeZone)}T00:00:00Z`);
  return Math.round((Date.parse(`${date}T00:00:00Z`) - today) / 86_400_000);
}

/** The advice the page gives next to the deadline. */
export type DeadlineAdvice = 'none' | 'past' | 'short_notice' | 'ok';

/** Announce at least this many days ahead (the page recommends it). */
export const RECOMMENDED_NOTICE_DAYS = 30;

export function deadlineAdvice(settings: { required: boolean; enforcementDate: string | undefined }, now: Date, timeZone: string): DeadlineAdvice {
  if (!settings.required || settings.enforcementDate === undefined) return 'none';
  const days = daysUntil(settings.enforcementDate, now, timeZone);
  if (days <= 0) return 'past';
  return days < RECOMMENDED_NOTICE_DAYS ? 'short_notice' : 'ok';
}
