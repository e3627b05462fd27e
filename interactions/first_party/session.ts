import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { FlowStore } from '../../mfa/store.ts';
import type { FirstPartySite } from './site.ts';

/** The sign-in under way: what the callback checks (RFC 9700 §2.1: state, nonce, PKCE). */
const LoginState = z.object({ state: z.string(), nonce: z.string(), verifier: z.string(), returnTo: z.string(), reauth: z.boolean() });
export type LoginState = z.infer<typeof LoginState>;

const SessionRecord = z.object({
  csrf: z.string(),
  createdAt: z.number(),
  /** Set by a completed sign-in. */
  userId: z.string().optional(),
  /** Epoch seconds of the authentication (the ID token's auth_time, on the provider's clock). */
  authTime: z.number().optional(),
  /** How old the authentication was at the sign-in (the ID token's iat − auth_time): a duration, so clock-independent. */
  authAge: z.number().optional(),
  /** Epoch ms of the sign-in to this site, on our clock. */
  signedInAt: z.number().optional(),
  /** For RP-initiated logout (id_token_hint). */
  idToken: z.string().optional(),
  /** The provider's session id (the ID token's `sid`): "this browser's" session at the provider. */
  sid: z.string().optional(),
  login: LoginState.optional(),
  /** A change that waited for a fresh authentication (its site parses it); it goes ahead after the sign-in. */
  pending: z.unknown().optional(),
  /** When the user last re-entered the password, and proved a second factor, on this site (epoch ms). */
  verified: z.object({ password: z.number().optional(), mfa: z.number().optional() }).optional(),
  /** Where a verification under way goes on to (a path of the site). */
  next: z.string().optional(),
  /** What the last change did, shown once on the next page (post/redirect/get). */
  notice: z.object({ tone: z.enum(['ok', 'error']), text: z.string() }).optional(),
});
export type SessionRecord = z.infer<typeof SessionRecord>;

export interface FirstPartySessionOptions {
  site: Pick<FirstPartySite, 'basePath' | 'cookie' | 'storeKey'>;
  flow: FlowStore;
  clock: Clock;
  idleSeconds: number;
  maxSeconds: number;
}

/**
 * A first-party site's own session, server-side in the store (Redis or memory): the cookie holds
 * only a random id, and the store key its hash, so a dump of the store cannot be replayed as a
 * cookie. It ends after `idleSeconds` without a request and `maxSeconds` after the sign-in.
 */
export class FirstPartySessions {
  readonly #o: FirstPartySessionOptions;

  constructor(options: FirstPartySessionOptions) {
    this.#o = options;
  }

  /** The session of this request, if its cookie names a live one. */
  async load(ctx: Context): Promise<{ id: string; record: SessionRecord } | undefined> {
    const id = ctx.cookies.get(this.#o.site.cookie);
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const [stored, signedOut] = await Promise.all([this.#o.flow.get(this.#key(id)), this.#o.flow.get(this.#signedOutKey(id))]);
    const parsed = SessionRecord.safeParse(stored);
    if (!parsed.success) return undefined;
    if (signedOut !== undefined) {
      await this.#o.flow.delete(this.#key(id));
      return undefined;
    }
    const record = parsed.data;
    const started = record.signedInAt ?? record.createdAt;
    if (this.#o.clock() - started > this.#o.maxSeconds * 1000 || (await this.#endedSince(record))) {
      await this.#o.flow.delete(this.#key(id));
      return undefined;
    }
    return { id, record };
  }

  /**
   * Ends every session of this user on this site signed in before now (their MFA was reset), except
   * the one signed in from the provider session `keep` names (a change made on this site): the store
   * has no index of sessions by user, so this is a mark that `load` checks, kept as long as a
   * session can last.
   */
  async endEveryOneOf(userId: string, keep?: { sid: string }): Promise<void> {
    await this.#o.flow.set(this.#endedKey(userId), { at: this.#o.clock(), ...(keep ? { keepSid: keep.sid } : {}) }, this.#o.maxSeconds);
  }

  async #endedSince(record: SessionRecord): Promise<boolean> {
    if (record.userId === undefined || record.signedInAt === undefined) return false;
    const ended = await this.#o.flow.get(this.#endedKey(record.userId));
    // `keepSid`: the change was made in this browser (its provider session), which stays signed in.
    if (typeof ended?.['keepSid'] === 'string' && ended['keepSid'] === record.sid) return false;
    return typeof ended?.['at'] === 'number' && record.signedInAt < ended['at'];
  }

  /** A new session (a new id: a sign-in never continues a session id an attacker could have planted). */
  async create(ctx: Context, record: Omit<SessionRecord, 'csrf' | 'createdAt'>): Promise<{ id: string; record: SessionRecord }> {
    const id = randomBytes(32).toString('base64url');
    const full: SessionRecord = { ...record, csrf: randomBytes(32).toString('base64url'), createdAt: this.#o.clock() };
    await this.save(ctx, id, full);
    return { id, record: full };
  }

  /**
   * Takes the record out of the store: of several requests taking one session at once, exactly one
   * gets it. The callback takes the sign-in under way, so that its pending change runs once even if
   * two codes of one sign-in come back together.
   */
  async take(id: string): Promise<SessionRecord | undefined> {
    const parsed = SessionRecord.safeParse(await this.#o.flow.take(this.#key(id)));
    return parsed.success ? parsed.data : undefined;
  }

  async save(ctx: Context, id: string, record: SessionRecord): Promise<void> {
    await this.#o.flow.set(this.#key(id), { ...record }, this.#o.idleSeconds);
    ctx.cookies.set(this.#o.site.cookie, id, { httpOnly: true, sameSite: 'lax', secure: ctx.secure, path: this.#o.site.basePath, overwrite: true });
  }

  /**
   * Ends the session for good: a request of it still running saves its record again as it ends
   * (the sliding idle timeout, a notice), so the end is also recorded under the id, for as long as a
   * session can last, and `load` refuses a record saved after it.
   */
  async destroy(ctx: Context, id: string): Promise<void> {
    await this.#o.flow.set(this.#signedOutKey(id), { at: this.#o.clock() }, this.#o.maxSeconds);
    await this.#o.flow.delete(this.#key(id));
    ctx.cookies.set(this.#o.site.cookie, null, { path: this.#o.site.basePath });
  }

  #key(id: string): string {
    return `${this.#o.site.storeKey}:${createHash('sha256').update(id).digest('base64url')}`;
  }

  #signedOutKey(id: string): string {
    return `${this.#o.site.storeKey}-signed-out:${createHash('sha256').update(id).digest('base64url')}`;
  }

  #endedKey(userId: string): string {
    return `${this.#o.site.storeKey}s-ended:${userId}`;
  }
}

/** Compares the form's CSRF token with the session's in constant time. */
export function csrfMatches(record: SessionRecord, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(record.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The authentication's age now, in seconds: its age at the sign-in plus the time since, on one clock. */
export function authenticationAge(record: SessionRecord, nowMs: number): number {
  return (record.authAge ?? Infinity) + (nowMs - (record.signedInAt ?? 0)) / 1000;
}
