import { hash, verify } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';

/**
 * argon2id with OWASP's minimum (m=19 MiB, t=2, p=1): about 14 ms of one core per verify.
 * @node-rs/argon2 defaults to argon2id; the test suite checks the PHC prefix.
 */
const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

let dummyHash: Promise<string> | undefined;

/**
 * Each verification is traced on this diagnostics channel (the metrics time it: lib/trace_timing.ts),
 * so every caller is measured without passing a timer through the sign-in, the step-up and the
 * password change. Nothing is published while no one subscribes.
 */
export const PASSWORD_VERIFY_CHANNEL = 'groundwork-id:argon2.verify';
const verifyChannel = tracingChannel<unknown, object>(PASSWORD_VERIFY_CHANNEL);

/**
 * Verifies a password. With no stored hash (unknown or SSO-only account) it still runs a full
 * verification against a dummy hash, so that the response time does not tell whether the account exists.
 */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const target = storedHash ?? (await dummyHash);
  try {
    const ok = verifyChannel.hasSubscribers ? await verifyChannel.tracePromise(() => verify(target, password), {}) : await verify(target, password);
    return ok && storedHash !== undefined;
  } catch {
    return false;
  }
}
