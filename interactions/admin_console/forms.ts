import { z } from 'zod';
import { isCalendarDate, isTimeZone, REVERIFY_FREQUENCIES } from '../../admin/mfa_settings.ts';

/** An HTML checkbox: present ("on") when ticked, absent otherwise. */
const checkbox = z.literal('on').optional().transform((value) => value === 'on');

/** The MFA tab's form. The deadline may be left empty: MFA is then required at once. */
export const SettingsForm = z.object({
  required: checkbox,
  enforcementDate: z
    .string()
    .trim()
    .refine((value) => value === '' || isCalendarDate(value), 'Enter the enforcement deadline as a date (YYYY-MM-DD).')
    .transform((value) => (value === '' ? undefined : value)),
  timeZone: z.string().refine(isTimeZone, 'Choose a time zone from the list.'),
  reverify: z.enum(REVERIFY_FREQUENCIES, 'Choose how often to re-verify.'),
});

/** Reset MFA for Users. */
export const ResetForm = z.object({
  email: z.string().trim().min(1, 'Enter the user’s email address.').max(254, 'That email address is too long.'),
  identityVerified: checkbox,
});

/** The audit trail's filters (query string); dates are days in the company's zone. */
export const AuditFilters = z.object({
  type: z.string().optional(),
  email: z.string().trim().max(254).optional(),
  from: z.string().refine(isCalendarDate, 'Enter dates as YYYY-MM-DD.').optional().or(z.literal('').transform(() => undefined)),
  to: z.string().refine(isCalendarDate, 'Enter dates as YYYY-MM-DD.').optional().or(z.literal('').transform(() => undefined)),
  cursor: z.string().max(200).optional(),
  format: z.enum(['html', 'csv']).default('html'),
});
