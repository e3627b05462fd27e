import { z } from 'zod';
import 'zod-openapi';
import { AUDIT_EVENT_TYPES } from '../../audit/audit_log.ts';
import { isCalendarDate, isTimeZone, REVERIFY_FREQUENCIES } from '../../admin/mfa_settings.ts';
import { RESET_REFUSALS } from '../../admin/reset_eligibility.ts';

/**
 * The admin API's requests and answers: one set of zod schemas validates the requests and
 * generates the OpenAPI document (openapi.ts), so the two cannot drift apart.
 */

const calendarDate = z.string().refine(isCalendarDate, 'a calendar date, YYYY-MM-DD').meta({ format: 'date', examples: ['2027-03-01'] });

export const CompanyParams = z.object({ companyId: z.string().min(1).max(200).meta({ description: 'The company id' }) });

export const MfaSettings = z
  .strictObject({
    required: z.boolean().meta({ description: 'Require MFA' }),
    enforcementDate: calendarDate.nullable().meta({ description: "The enforcement deadline, read in `timeZone`; null: required at once" }),
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone').meta({ description: 'IANA time zone; it becomes the company’s', examples: ['Europe/Berlin'] }),
    reverify: z.enum(REVERIFY_FREQUENCIES).meta({ description: 'How often members re-verify' }),
  })
  .meta({ id: 'MfaSettings' });

export const MemberMfaStatus = z
  .object({
    userId: z.string(),
    name: z.string(),
    email: z.string(),
    methods: z.array(z.string()).meta({ description: 'Enrolled methods: totp (authenticator app), sms' }),
    lastMfaAt: z.string().nullable().meta({ description: 'ISO 8601 time of the last MFA sign-in', format: 'date-time' }),
    mfaAtIdp: z.boolean().meta({ description: 'SSO with MFA at the company’s identity provider' }),
  })
  .meta({ id: 'MemberMfaStatus' });

export const MemberStatusQuery = z.strictObject({
  filter: z.enum(['not_enrolled']).optional().meta({ description: 'Only members who have not enrolled yet (and whose MFA is not at their IdP)' }),
});

export const MemberMfaStatusList = z.object({ members: z.array(MemberMfaStatus) }).meta({ id: 'MemberMfaStatusList' });

export const MfaResetRequest = z
  .strictObject({
    email: z.string().trim().min(1).max(254).meta({ description: 'The email exactly as listed in the Company Directory (case and surrounding spaces are forgiven)' }),
    identityVerified: z.boolean().meta({ description: "I have verified the user's request to reset MFA" }),
  })
  .meta({ id: 'MfaResetRequest' });

export const MfaResetDone = z.object({ userId: z.string(), email: z.string(), resetAt: z.string().meta({ format: 'date-time' }) }).meta({ id: 'MfaResetDone' });

export const MfaResetRefused = z
  .object({ error: z.enum(RESET_REFUSALS).meta({ description: 'One code per eligibility rule' }), message: z.string() })
  .meta({ id: 'MfaResetRefused' });

export const AuditQueryParams = z.strictObject({
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
  email: z.string().trim().max(254).optional(),
  from: calendarDate.optional().meta({ description: 'First day, in the company’s time zone' }),
  to: calendarDate.optional().meta({ description: 'Last day, in the company’s time zone' }),
  cursor: z.string().max(200).optional().meta({ description: 'The `next` of the previous page' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const AuditEventOut = z
  .object({
    id: z.string(),
    type: z.enum(AUDIT_EVENT_TYPES),
    at: z.string().meta({ format: 'date-time' }),
    userId: z.string().nullable(),
    email: z.string().nullable(),
    ip: z.string(),
    userAgent: z.string(),
    detail: z.record(z.string(), z.string()),
  })
  .meta({ id: 'AuditEvent' });

export const AuditEventPage = z.object({ events: z.array(AuditEventOut), next: z.string().nullable() }).meta({ id: 'AuditEventPage' });

export const ApiError = z.object({ error: z.string(), message: z.string() }).meta({ id: 'Error' });
