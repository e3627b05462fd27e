import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { parseEmailAddress } from '../directory/email_address.ts';

const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

/**
 * Interaction forms are small url-encoded bodies; anything larger is refused with a 413 page. A body
 * the parser cannot read is the sender's fault, never a 5xx, and the page says so in our words.
 */
export async function formBody(ctx: Context, next: Next): Promise<void> {
  const refusal = await readBody(ctx, parseForm);
  if (refusal) ctx.throw(refusal.status, refusal.message);
  await next();
}

export interface BodyRefusal {
  status: 400 | 413 | 415;
  message: string;
}

/**
 * Runs a body parser; what it throws (too large, a charset or coding it does not take, a broken
 * gzip or brotli stream, which zlib reports without an HTTP status) becomes a refusal of ours,
 * without the library's wording.
 */
export async function readBody(ctx: Context, parser: (ctx: Context, next: Next) => Promise<unknown>): Promise<BodyRefusal | undefined> {
  try {
    await parser(ctx, () => Promise.resolve());
    return undefined;
  } catch (err) {
    const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
    if (status === 413) return { status, message: 'The form sent more data than this page accepts.' };
    if (status === 415) return { status, message: 'The form was sent in an encoding this page does not accept.' };
    return { status: 400, message: 'The form could not be read. Reload the page and try again.' };
  }
}

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

/**
 * Zod's own wording (`Invalid input: expected "on"`) never reaches a page: a rule the schema gives
 * no message of ours gets this one. Messages written in a schema take precedence over it.
 */
export const IN_OUR_WORDS = { error: () => 'Some of what you entered is not valid. Check it and try again.' };

/** Parses the posted form; on bad input returns the first problem as a message for the page. */
export function readForm<T extends z.ZodType>(ctx: Context, schema: T): { ok: true; value: z.infer<T> } | { ok: false; message: string } {
  const result = schema.safeParse(ctx.request.body ?? {}, IN_OUR_WORDS);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, message: issue?.code === 'invalid_type' ? 'Please fill in every field.' : (issue?.message ?? 'Invalid input.') };
}
