import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import type { LoginThrottle } from '../directory/login_throttle.ts';
import { loginWithPassword } from '../directory/password_login.ts';
import { hashPassword } from '../directory/passwords.ts';
import type { DirectoryStore } from '../directory/store.ts';
import type { User } from '../directory/types.ts';
import type { Mfa, SignIns } from '../mfa/service.ts';
import { checkNewPassword, minimumLength, type PasswordRefusal } from './password_rules.ts';

/**
 * Password & Security › Change Password: the current password, checked through the sign-in's
 * per-account and per-address limits (a wrong one counts as a failed sign-in), then the new one
 * under the rule of password_rules.ts. A change ends the user's other browser sessions, with the
 * codes and tokens issued in them, and is audited and emailed.
 */

export interface PasswordSelfServiceDeps {
  directory: DirectoryStore;
  throttle: LoginThrottle;
  mfa: Mfa;
  events: SecurityEvents;
  signIns: SignIns;
  /** The product's name, which a password may not contain. */
  productName: string;
}

/** The browser session a first-party site signed in from: a change does not end it. */
export type KeptSession = Parameters<SignIns['endOtherSessionsOf']>[1];

export type PasswordFormStart =
  /** `minLength`: 15 when the password is the account's only factor, else 8. */
  | { ok: true; minLength: number }
  /** An account that signs in through its company's IdP has no password here. */
  | { ok: false; reason: 'no_user' | 'no_password' };

export type PasswordChange =
  | { ok: true }
  | { ok: false; reason: 'no_user' | 'no_password' | 'wrong_password' | 'same_as_current' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }
  | { ok: false; reason: 'refused'; refusal: PasswordRefusal; message: string }
  /** The password was changed by another request meanwhile: this one stored nothing. */
  | { ok: false; reason: 'stale' };

export class PasswordSelfService {
  readonly #deps: PasswordSelfServiceDeps;

  constructor(deps: PasswordSelfServiceDeps) {
    this.#deps = deps;
  }

  /** What the Change Password form needs, or why there is none. */
  async start(userId: string): Promise<PasswordFormStart> {
    const user = await this.#deps.directory.findUser(userId);
    if (!user) return { ok: false, reason: 'no_user' };
    if (user.passwordHash === undefined) return { ok: false, reason: 'no_password' };
    return { ok: true, minLength: minimumLength(await this.#onlyFactor(userId)) };
  }

  /**
   * Changes the password. The current one is checked first, so every wrong guess counts whatever the
   * new one is; the rule runs only for whoever knows it (its estimate costs up to half a second).
   */
  async change(userId: string, input: { current: string; next: string }, meta: RequestMeta, keep: KeptSession): Promise<PasswordChange> {
    const { directory, throttle, signIns, events, productName } = this.#deps;
    const user = await directory.findUser(userId);
    if (!user) return { ok: false, reason: 'no_user' };
    if (user.passwordHash === undefined) return { ok: false, reason: 'no_password' };

    const login = await loginWithPassword({ directory, throttle }, { email: user.email, password: input.current, ip: meta.ip });
    if (login.outcome === 'throttled') return { ok: false, reason: 'throttled', retryAfterSeconds: login.retryAfterSeconds };
    if (login.outcome !== 'success' || login.user.id !== userId) return { ok: false, reason: 'wrong_password' };
    if (input.next === input.current) return { ok: false, reason: 'same_as_current' };

    const verdict = checkNewPassword(input.next, { email: user.email, productName, onlyFactor: await this.#onlyFactor(userId), name: user.name });
    if (!verdict.ok) return { ok: false, reason: 'refused', refusal: verdict.refusal, message: verdict.message };

    const passwordHash = await hashPassword(input.next);
    // The directory has no compare-and-set: the user is read again just before the write, and only
    // the hash is replaced, so a change made meanwhile (another password change, an admin's edit)
    // is neither undone nor silently overwritten, short of one landing inside this last step.
    const fresh = await directory.findUser(userId);
    if (!fresh) return { ok: false, reason: 'no_user' };
    if (fresh.passwordHash !== user.passwordHash) return { ok: false, reason: 'stale' };
    const changed: User = { ...fresh, passwordHash };
    await directory.saveUser(changed);

    // Whoever signed in elsewhere with the old password is out before the event is written.
    await signIns.endOtherSessionsOf(userId, keep);
    await events.record('password.changed', changed, meta);
    return { ok: true };
  }

  /** No MFA method the account may use now: the password alone protects it. */
  async #onlyFactor(userId: string): Promise<boolean> {
    const options = await this.#deps.mfa.verificationOptions(userId);
    return (options?.methods.length ?? 0) === 0;
  }
}
