import { z } from 'zod';

export const CodeForm = z.object({ code: z.string().max(64) });
export const RecoveryCodeForm = z.object({ recovery_code: z.string().max(128) });
export const RecoveryAckForm = z.object({ saved: z.literal('yes') });
export const MethodForm = z.object({ method: z.enum(['totp', 'sms']) });
export const PhoneForm = z.object({ country: z.string().max(2), phone: z.string().min(1).max(32) });
