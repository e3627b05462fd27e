import { z } from 'zod';
import type { AdapterPayload } from 'oidc-provider';
import { AUDIT_EVENT_TYPES, type AuditEvent, type AuditEventType } from '../audit/audit_log.ts';
import { PAY_ROLES, PERMISSION_LEVELS, REVERIFY_FREQUENCIES, SSO_MFA_MODES, TOOLS, type Company, type Membership, type User } from '../directory/types.ts';
import type { LockState, PhoneRecord, SmsCodeCheck, TotpRecord } from '../mfa/store.ts';

/**
 * The shapes of the records the stores read back, checked on every read: what comes out of a store
 * is data, not a promise about types. A record that does not parse is a corrupted store, and the
 * read fails (a 500, logged) rather than handing half a record to the code that trusts it.
 */

/** A read that did not parse. Names the kind of record, never the key (keys hold emails and ids). */
export class CorruptRecordError extends Error {
  override name = 'CorruptRecordError';
  readonly kind: string;
  constructor(kind: string, problem: string) {
    super(`corrupt ${kind} record in the store: ${problem}`);
    this.kind = kind;
  }
}

/** Parses a stored value with `schema`, or throws CorruptRecordError naming `kind`. */
export function parseRecord<S extends z.ZodType>(schema: S, value: unknown, kind: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new CorruptRecordError(kind, z.prettifyError(parsed.error));
  return parsed.data;
}

/** Parses stored JSON with `schema`, or throws CorruptRecordError naming `kind`. */
export function parseJsonRecord<S extends z.ZodType>(schema: S, json: string, kind: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new CorruptRecordError(kind, 'not JSON');
  }
  return parseRecord(schema, value, kind);
}

/**
 * A `T | undefined` field: JSON.stringify drops it when undefined, so it may be absent. The
 * transform keeps the key required in the output type, as in the TypeScript record type.
 */
const absentWhenUndefined = <S extends z.ZodType>(schema: S) => schema.optional().transform((value) => value);

export const companyRecord = z.object({
  id: z.string(),
  name: z.string(),
  emailDomains: z.array(z.string()),
  timeZone: z.string(),
  mfa: z.object({ required: z.boolean(), enforcementDate: absentWhenUndefined(z.string()), reverify: z.enum(REVERIFY_FREQUENCIES), announcements: z.number().int().nonnegative().optional() }),
  sso: z
    .object({
      type: z.literal('oidc'),
      issuer: z.string(),
      clientId: z.string(),
      sealedClientSecret: z.string(),
      scopes: z.array(z.string()),
      mfa: z.enum(SSO_MFA_MODES),
      jit: z.boolean(),
      mfaAcrValues: z.array(z.string()),
    })
    .nullable(),
});

export const userRecord = z.object({
  id: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  name: z.string(),
  givenName: absentWhenUndefined(z.string()),
  familyName: absentWhenUndefined(z.string()),
  passwordHash: absentWhenUndefined(z.string()),
  status: z.enum(['active', 'disabled']),
});

export const membershipRecord = z.object({
  userId: z.string(),
  companyId: z.string(),
  status: z.enum(['active', 'inactive']),
  permissions: z.record(z.enum(TOOLS), z.enum(PERMISSION_LEVELS)),
  payRoles: z.array(z.enum(PAY_ROLES)),
});

export const totpRecord = z.object({ sealedSecret: z.string(), createdAt: z.number() });

export const phoneRecord = z.object({ e164: z.string(), country: z.string(), createdAt: z.number() });

/** A counter in a Redis hash: an integer written by HINCRBY or HSET; absent reads as 0. */
const hashCounter = z
  .string()
  .regex(/^-?\d+$/)
  .optional()
  .transform((value) => Number(value ?? 0));

/** The lockout hash as HGETALL returns it. */
export const lockStateHash = z.object({ failures: hashCounter, level: hashCounter, lockedUntil: hashCounter });

export const smsCodeCheck = z.enum(['ok', 'mismatch', 'expired', 'exhausted', 'missing']);

const auditEventType = z.enum(AUDIT_EVENT_TYPES);

export const auditEventRecord = z.object({
  type: auditEventType,
  userId: absentWhenUndefined(z.string()),
  companyIds: z.array(z.string()),
  at: z.number(),
  ip: z.string(),
  userAgent: z.string(),
  detail: z.record(z.string(), z.string()).optional(),
});

/** Short-lived flow state: any JSON object; its owner reads the fields it put there. */
export const flowValue = z.record(z.string(), z.unknown());

/**
 * oidc-provider's payloads are its own, and it reads them itself: an object is enough, plus the
 * field the adapter acts on (the grant a reused code revokes).
 */
export const oidcPayload = z.looseObject({ grantId: z.string().optional() }) satisfies z.ZodType<AdapterPayload>;

/** Mutual assignability: a field added, dropped or retyped on either side fails the typecheck. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AllTrue<T extends true[]> = T;
/** Exists to be checked by the compiler: each schema reads back exactly its record's type. */
export type RecordSchemasMatchTypes = AllTrue<[
  SameShape<z.output<typeof companyRecord>, Company>,
  SameShape<z.output<typeof userRecord>, User>,
  SameShape<z.output<typeof membershipRecord>, Membership>,
  SameShape<z.output<typeof totpRecord>, TotpRecord>,
  SameShape<z.output<typeof phoneRecord>, PhoneRecord>,
  SameShape<z.output<typeof lockStateHash>, LockState>,
  SameShape<z.output<typeof smsCodeCheck>, SmsCodeCheck>,
  SameShape<z.output<typeof auditEventType>, AuditEventType>,
  SameShape<z.output<typeof auditEventRecord>, AuditEvent>,
]>;
