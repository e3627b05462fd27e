import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { z } from 'zod';
import { parseEmailAddress } from '../directory/email_address.ts';

/** Interaction forms are small url-encoded bodies; anything larger is refused with a 413 page. */
export const formBody = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

/** The rule of directory/email_address.ts, ASCII or internationalized; the value is the parsed address (NFC). */
export const EmailForm = z.object({
  email: z
    .string()
    .trim()
    .transform((input, ctx) => {
      const parsed = parseEmailAddress(input);
      if (parsed.ok) return parsed.email;
      ctx.addIssue({ code: 'custom', message: 'Enter a valid email address.' });
      return z.NEVER;
    }),
});

export const PasswordForm = EmailForm.extend({
  password: z.string().min(1, 'Enter your password.').max(1024, 'That password is too long.'),
});

/** Parses the posted form; on bad input returns the first problem as a message for the page. */
export function readForm<T extends z.ZodType>(ctx: Context, schema: T): { ok: true; value: z.infer<T> } | { ok: false; message: string } {
  const result = schema.safeParse(ctx.request.body ?? {});
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, message: issue?.code === 'invalid_type' ? 'Please fill in every field.' : (issue?.message ?? 'Invalid input.') };
}
