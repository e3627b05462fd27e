import type { LoginThrottle } from './login_throttle.ts';
import { verifyPassword } from './passwords.ts';
import type { DirectoryStore } from './store.ts';
import type { User } from './types.ts';

export type PasswordLoginResult =
  | { outcome: 'success'; user: User }
  | { outcome: 'invalid' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

/**
 * The first factor by password. Unknown emails, disabled accounts, SSO-only accounts and wrong
 * passwords all come back as `invalid` after the same argon2 work, so nothing tells them apart.
 */
export async function loginWithPassword(
  deps: { directory: DirectoryStore; throttle: LoginThrottle },
  input: { email: string; password: string; ip: string },
): Promise<PasswordLoginResult> {
  // The lookup runs alongside counting the attempt to save a round trip; a refused attempt is never hashed.
  const [counted, found] = await Promise.allSettled([deps.throttle.begin(input.email, input.ip), deps.directory.findUserByEmail(input.email)]);
  if (counted.status === 'rejected') throw counted.reason;
  const attempt = counted.value;
  if (found.status === 'rejected') {
    // Nothing was checked: an outage must not count against the account or the address.
    if (attempt.allowed) await deps.throttle.abandoned(attempt);
    throw found.reason;
  }
  const user = found.value;
  if (!attempt.allowed) return { outcome: 'throttled', retryAfterSeconds: attempt.retryAfterSeconds };

  const passwordOk = await verifyPassword(user?.passwordHash, input.password);
  if (user && passwordOk && user.status === 'active') {
    await deps.throttle.succeeded(attempt);
    return { outcome: 'success', user };
  }
  await deps.throttle.failed(attempt);
  return { outcome: 'invalid' };
}
