import { z } from 'zod';
import { REVERIFY_FREQUENCIES } from '../../directory/types.ts';

/** A console change that waited for a fresh authentication (first_party/guard.ts), as kept in the session. */
export const PendingAction = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('settings'),
    companyId: z.string(),
    input: z.object({ required: z.boolean(), enforcementDate: z.string().optional(), timeZone: z.string(), reverify: z.enum(REVERIFY_FREQUENCIES) }),
  }),
  z.object({ kind: z.literal('reset'), companyId: z.string(), email: z.string(), identityVerified: z.boolean() }),
]);
export type PendingAction = z.infer<typeof PendingAction>;
