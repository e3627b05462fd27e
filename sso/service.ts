import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { RequestMeta, SecurityEvents } from '../audit/security_events.ts';
import { parseEmailAddress } from '../directory/email_address.ts';
import { isSsoCompany, type SsoCompany } from '../directory/login_route.ts';
import { EmailInUseError, type DirectoryStore } from '../directory/store.ts';
import type { FederatedSubject, Membership, User } from '../directory/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { SecretBox } from '../lib/secret_box.ts';
import { mfaLeftToUpstream } from '../mfa/gate.ts';
import type { MfaRequirement } from '../mfa/policy.ts';
import type { FlowStore } from '../mfa/store.ts';
import { matchAccount, type Candidate } from './account_match.ts';
import { federatedAssurance } from './assurance.ts';
import { openClientSecret } from './client_secret.ts';
import type { SsoFailureReason } from './failures.ts';
import { newSignInChecks, UpstreamRefusedError, UpstreamUnavailableError, type UpstreamClients, type UpstreamIdentity } from './upstream.ts';

export interface FederationDeps {
  directory: DirectoryStore;
  flow: FlowStore;
  box: SecretBox;
  clock: Clock;
  upstream: UpstreamClients;
  events: SecurityEvents;
  /** What our MFA policy asks of an account (Mfa.requirementOf). */
  requirementOf: (userId: string) => Promise<MfaRequirement | undefined>;
}

/** What the relying app asked of this sign-in, as it bears on the upstream login. */
export interface SignInAsk {
  /** The app asked for the multi-factor acr (acr_values or an essential acr claim). */
  stepUp: boolean;
  /** The user must authenticate at the IdP again, not ride an IdP session (prompt=login, a re-verification). */
  reauthenticate: boolean;
  maxAge: number | undefined;
}

export type SsoOutcome =
  | { ok: true; user: User; login: { amr: string[]; acr: string; authTime: number } }
  | { ok: false; reason: SsoFailureReason; companyName: string | undefined };

/** A sign-in waiting for its IdP's answer, kept server-side under its interaction for the interaction's life. */
const Pending = z.object({
  companyId: z.string(),
  issuer: z.string(),
  stateHash: z.string(),
  nonce: z.string(),
  /** The PKCE verifier, sealed: with a stolen code it would redeem it. */
  sealedVerifier: z.string(),
  reauthenticate: z.boolean(),
  stepUp: z.boolean(),
  maxAge: z.number().optional(),
});
type Pending = z.infer<typeof Pending>;

const PENDING_TTL_SECONDS = 15 * 60;
/**
 * After prompt=login, the IdP's auth_time must be this close to its ID token's iat: both by the IdP's
 * clock, so a clock difference between us and the IdP does not matter.
 */
const FRESH_LOGIN_SECONDS = 10 * 60;
/** How far ahead of ours (or of its own iat) an IdP's times may be. */
const CLOCK_SKEW_SECONDS = 5 * 60;
/** An RFC 6749 error code, short: anything else from the IdP is recorded as "invalid". */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
const pendingKey = (interactionId: string): string => `sso:${interactionId}`;
const usedKey = (interactionId: string): string => `sso-used:${interactionId}`;

/**
 * The state sent upstream: the interaction's id, so the fixed callback URL can find the sign-in,
 * and 32 random bytes that only this browser's sign-in knows (stored hashed).
 */
export function interactionOfState(state: string): string | undefined {
  return /^([\w-]{1,64})\.[\w-]{43}$/.exec(state)?.[1];
}

/**
 * Upstream SSO's use cases: send a sign-in to its company's IdP, and turn the IdP's answer into a
 * login (or a refusal with its reason). Every refusal is recorded as `sso.login_failed`.
 */
export class Federation {
  readonly #deps: FederationDeps;

  constructor(deps: FederationDeps) {
    this.#deps = deps;
  }

  /**
   * The URL of the company's IdP for this sign-in. Throws `UpstreamUnavailableError` (recorded) when
   * the IdP's discovery fails. A step-up asks the IdP for the connection's MFA acr values.
   */
  async begin(input: { interactionId: string; company: SsoCompany; loginHint: string | undefined; ask: SignInAsk; meta: RequestMeta }): Promise<URL> {
    const { company, ask } = input;
    const state = `${input.interactionId}.${randomBytes(32).toString('base64url')}`;
    const { nonce, codeVerifier } = newSignInChecks();
    const askMfa = ask.stepUp && company.sso.mfa === 'idp' && company.sso.mfaAcrValues.length > 0;
    let url: URL;
    try {
      url = await this.#deps.upstream.authorizationUrl(company.sso, this.#secret(company), {
        state,
        nonce,
        codeVerifier,
        loginHint: input.loginHint,
        acrValues: askMfa ? company.sso.mfaAcrValues.join(' ') : undefined,
        prompt: ask.reauthenticate ? 'login' : undefined,
        maxAge: ask.maxAge,
      });
    } catch (err) {
      if (err instanceof UpstreamUnavailableError) await this.#refused(company.id, undefined, 'upstream_unavailable', input.meta);
      throw err;
    }
    const pending: Pending = {
      companyId: company.id,
      issuer: company.sso.issuer,
      stateHash: hash(state),
      nonce,
      sealedVerifier: this.#deps.box.seal(codeVerifier, pendingKey(input.interactionId)),
      reauthenticate: ask.reauthenticate,
      stepUp: ask.stepUp,
      ...(ask.maxAge === undefined ? {} : { maxAge: ask.maxAge }),
    };
    await this.#deps.flow.set(pendingKey(input.interactionId), pending, PENDING_TTL_SECONDS);
    return url;
  }

  /**
   * A callback for a sign-in that already used its IdP answer (a replay, or the page reloaded):
   * recorded (the first replay only), and answered before any interaction is loaded. Returns the
   * company's name the first time.
   */
  async replayed(interactionId: string, meta: RequestMeta): Promise<{ companyName: string } | undefined> {
    // Taken: recorded once per sign-in, so repeating a used callback cannot flood the company's log.
    const used = await this.#deps.flow.take(usedKey(interactionId));
    const companyId = typeof used?.['companyId'] === 'string' ? used['companyId'] : undefined;
    if (companyId === undefined) return undefined;
    await this.#refused(companyId, undefined, 'replayed_state', meta);
    return { companyName: (await this.#deps.directory.findCompany(companyId))?.name ?? companyId };
  }

  /**
   * The IdP's answer for this interaction's sign-in (`callback` is the full callback URL). The waiting
   * sign-in is taken once, so a second answer finds nothing; then state, code, ID token and account.
   */
  async complete(input: { interactionId: string; callback: URL; meta: RequestMeta }): Promise<SsoOutcome> {
    const { flow, directory } = this.#deps;
    const stored = await flow.take(pendingKey(input.interactionId));
    if (stored === undefined) {
      const replay = await this.replayed(input.interactionId, input.meta);
      return { ok: false, reason: replay ? 'replayed_state' : 'state_missing', companyName: replay?.companyName };
    }
    const pending = Pending.parse(stored);
    await flow.set(usedKey(input.interactionId), { companyId: pending.companyId }, PENDING_TTL_SECONDS);

    const company = await directory.findCompany(pending.companyId);
    const fail = async (reason: SsoFailureReason, user?: User, detail?: Record<string, string>): Promise<SsoOutcome> => {
      await this.#refused(pending.companyId, user, reason, input.meta, detail);
      return { ok: false, reason, companyName: company?.name };
    };
    const state = input.callback.searchParams.get('state') ?? '';
    if (!sameHash(hash(state), pending.stateHash)) return fail('state_mismatch');
    // The connection changed (or went) while the user was at the IdP: its answer is not for it any more.
    if (!company || !isSsoCompany(company) || company.sso.issuer !== pending.issuer) return fail('invalid_response');

    let identity: UpstreamIdentity;
    try {
      identity = await this.#deps.upstream.identity(company.sso, this.#secret(company), input.callback, {
        state,
        nonce: pending.nonce,
        codeVerifier: this.#deps.box.open(pending.sealedVerifier, pendingKey(input.interactionId)),
        maxAge: pending.maxAge,
      });
    } catch (err) {
      if (err instanceof UpstreamUnavailableError) return fail('upstream_unavailable');
      if (err instanceof UpstreamRefusedError) return fail(err.reason, undefined, err.reason === 'upstream_error' ? { upstream: upstreamError(input.callback) } : undefined);
      throw err;
    }
    // openid-client does not refuse times in the future: an IdP's clock far ahead would make a session that never ages.
    const nowSeconds = Math.floor(this.#deps.clock() / 1000);
    if (identity.authTime > identity.issuedAt + CLOCK_SKEW_SECONDS || identity.issuedAt > nowSeconds + CLOCK_SKEW_SECONDS) return fail('invalid_id_token');
    if (pending.reauthenticate && identity.issuedAt - identity.authTime > FRESH_LOGIN_SECONDS) return fail('stale_authentication');

    const account = await this.#account(company, identity, input.meta);
    if (!account.ok) return fail(account.reason, account.user, identity.email === undefined ? undefined : { email: identity.email });
    const { user, memberships } = account;

    const assurance = federatedAssurance({
      mode: company.sso.mfa,
      upstream: identity,
      mfaAcrValues: company.sso.mfaAcrValues,
      payRole: memberships.some((m) => m.status === 'active' && m.payRoles.length > 0),
    });
    if (pending.stepUp && !assurance.upstreamMfa) {
      const requirement = await this.#deps.requirementOf(user.id);
      if (requirement && mfaLeftToUpstream(requirement)) return fail('mfa_not_proven', user);
    }
    await this.#deps.events.record('sso.login', user, input.meta, { company: company.id, ...(assurance.upstreamMfa ? { upstreamMfa: 'true' } : {}) });
    return { ok: true, user, login: { amr: assurance.amr, acr: assurance.acr, authTime: Math.min(identity.authTime, nowSeconds) } };
  }

  async #account(
    company: SsoCompany,
    identity: UpstreamIdentity,
    meta: RequestMeta,
  ): Promise<{ ok: true; user: User; memberships: Membership[] } | { ok: false; reason: SsoFailureReason; user: User | undefined }> {
    const { directory } = this.#deps;
    const subject: FederatedSubject = { companyId: company.id, issuer: company.sso.issuer, subject: identity.subject };
    const parsed = identity.email === undefined ? undefined : parseEmailAddress(identity.email);
    const email = parsed?.ok ? parsed.email : undefined;
    // Twice at most: a first login racing another for the same person finds, the second time, what the other made.
    for (let attempt = 0; attempt < 2; attempt++) {
      const linkedId = await directory.findFederatedUser(subject);
      const linked = linkedId === undefined ? undefined : await this.#candidate(await directory.findUser(linkedId));
      const inDomains = email !== undefined && company.emailDomains.includes(email.asciiDomain);
      // Only an address of the company's own domains is looked up: another company's user is never loaded.
      const byEmail = linked || !email || !inDomains ? undefined : await this.#candidate(await directory.findUserByEmail(email.address));
      const outcome = matchAccount({
        companyId: company.id,
        linked,
        upstream: { email: email?.address, emailVerified: identity.emailVerified },
        emailInCompanyDomains: inDomains,
        byEmail,
        jit: company.sso.jit,
      });
      if (outcome.kind === 'refuse') {
        // A refusal is the account's event only when the account is the company's member.
        const candidate = linked ?? byEmail;
        const member = candidate?.memberships.some((m) => m.companyId === company.id && m.status === 'active');
        return { ok: false, reason: outcome.reason, user: member ? candidate?.user : undefined };
      }
      const found = outcome.kind === 'existing' ? { user: outcome.user, memberships: (linked ?? byEmail)?.memberships ?? [] } : email && (await this.#create(company, identity, email.address));
      if (!found) continue;
      const needsLink = outcome.kind === 'create' || outcome.link;
      if (needsLink && (await directory.linkFederatedUser(subject, found.user.id)) !== found.user.id) continue;
      if (outcome.kind === 'create') await this.#deps.events.record('sso.user_created', found.user, meta, { company: company.id });
      return { ok: true, ...found };
    }
    return { ok: false, reason: 'no_account', user: undefined };
  }

  /** A new active account and membership (no permissions); undefined if the email was taken meanwhile. */
  async #create(company: SsoCompany, identity: UpstreamIdentity, email: string): Promise<{ user: User; memberships: Membership[] } | undefined> {
    const user: User = {
      id: `usr_${randomBytes(12).toString('base64url')}`,
      email,
      emailVerified: true,
      name: identity.name ?? ([identity.givenName, identity.familyName].filter(Boolean).join(' ') || email),
      givenName: identity.givenName,
      familyName: identity.familyName,
      passwordHash: undefined,
      status: 'active',
    };
    const membership: Membership = { userId: user.id, companyId: company.id, status: 'active', permissions: { companyAdmin: 'none', directory: 'none' }, payRoles: [] };
    try {
      await this.#deps.directory.saveUser(user);
    } catch (err) {
      // Two first logins at once: the other created the account; this one starts again to find it.
      if (err instanceof EmailInUseError) return undefined;
      throw err;
    }
    await this.#deps.directory.saveMembership(membership);
    return { user, memberships: [membership] };
  }

  async #candidate(user: User | undefined): Promise<Candidate | undefined> {
    return user ? { user, memberships: await this.#deps.directory.membershipsOfUser(user.id) } : undefined;
  }

  #secret(company: SsoCompany): string {
    return openClientSecret(this.#deps.box, company.id, company.sso.sealedClientSecret);
  }

  /** Recorded for the company; for the account too when it is one of the company's members. */
  async #refused(companyId: string, user: User | undefined, reason: SsoFailureReason, meta: RequestMeta, detail?: Record<string, string>): Promise<void> {
    const details = { reason, company: companyId, ...detail };
    if (user) await this.#deps.events.record('sso.login_failed', user, meta, details);
    else await this.#deps.events.recordForCompany('sso.login_failed', companyId, meta, details);
  }
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The IdP's `error` code as recorded: as sent when it is one, else "invalid". */
function upstreamError(callback: URL): string {
  const error = callback.searchParams.get('error') ?? '';
  return ERROR_CODE.test(error) ? error : 'invalid';
}
