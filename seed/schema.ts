import { createPublicKey } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { PAY_ROLES, PERMISSION_LEVELS, REVERIFY_FREQUENCIES, SSO_MFA_MODES } from '../directory/types.ts';
import { DOMAIN_PROBLEM_MESSAGES, EMAIL_PROBLEM_MESSAGES, emailLookupKey, parseDomain, parseEmailAddress } from '../directory/email_address.ts';
import { isLoopbackUrl } from '../lib/loopback.ts';
import { methodsAllowedForPayRoles } from '../mfa/policy.ts';
import { SCOPES } from '../provider/scopes.ts';
import { isTimeZone } from '../directory/time_zones.ts';
import { BUILT_IN_CLIENT_IDS, authMethodOf, CLIENT_AUTH_METHODS, MIN_CLIENT_SECRET_LENGTH, SECRET_AUTH_METHODS } from '../provider/clients.ts';
import { checkSmsNumber, DEFAULT_SMS_COUNTRIES, SMS_REFUSAL_MESSAGES } from '../mfa/factors/sms/rules.ts';

const Id = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use 1–64 letters, digits, "_", "." or "-"');
const IsoDate = z.iso.date();
const Level = z.enum(PERMISSION_LEVELS);

/** An account's address, ASCII or internationalized (directory/email_address.ts); stored in NFC. */
const EmailAddressSeed = z.string().transform((input, ctx) => {
  const parsed = parseEmailAddress(input);
  if (parsed.ok) return parsed.email.address;
  ctx.addIssue({ code: 'custom', message: `Invalid email address: ${EMAIL_PROBLEM_MESSAGES[parsed.problem]}` });
  return z.NEVER;
});

/** A company's email domain, in Unicode or A-label form; stored in IDNA ASCII form, which routing compares. */
const EmailDomainSeed = z.string().transform((input, ctx) => {
  const parsed = parseDomain(input);
  if (parsed.ok) return parsed.ascii;
  ctx.addIssue({ code: 'custom', message: DOMAIN_PROBLEM_MESSAGES[parsed.problem] });
  return z.NEVER;
});

/** An OAuth scope token (RFC 6749 §3.3). */
const ScopeToken = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope token (no spaces or quotes)');

/** A company's OpenID Connect connection to its own IdP. The issuer's scheme is checked in `parseSeed`. */
const SsoSeed = z.strictObject({
  type: z.literal('oidc'),
  issuer: z.url(),
  clientId: z.string().min(1),
  /** Sealed on import; never stored, logged or shown in clear. */
  clientSecret: z.string().min(1),
  scopes: z
    .array(ScopeToken)
    .default(['openid', 'email', 'profile'])
    .refine((scopes) => scopes.includes('openid') && scopes.includes('email'), 'must include "openid" and "email" (accounts are matched by email)'),
  mfa: z.enum(SSO_MFA_MODES),
  jit: z.boolean().default(false),
  mfaAcrValues: z.array(z.string().min(1)).default([]),
});

const CompanySeed = z.strictObject({
  id: Id,
  name: z.string().min(1),
  emailDomains: z.array(EmailDomainSeed).default([]),
  timeZone: z.string().refine(isTimeZone, 'not an IANA time zone').default('UTC'),
  mfa: z
    .strictObject({
      required: z.boolean().default(false),
      enforcementDate: IsoDate.optional(),
      reverify: z.enum(REVERIFY_FREQUENCIES).default('30d'),
    })
    .prefault({}),
  sso: SsoSeed.nullable().default(null),
});

const MembershipSeed = z.strictObject({
  company: Id,
  status: z.enum(['active', 'inactive']).default('active'),
  permissions: z.strictObject({ companyAdmin: Level.default('none'), directory: Level.default('none') }).prefault({}),
  payRoles: z.array(z.enum(PAY_ROLES)).default([]),
});

const UserSeed = z.strictObject({
  id: Id.optional(),
  email: EmailAddressSeed,
  name: z.string().min(1),
  givenName: z.string().min(1).optional(),
  familyName: z.string().min(1).optional(),
  password: z.string().min(8, 'at least 8 characters').max(1024).optional(),
  status: z.enum(['active', 'disabled']).default('active'),
  emailVerified: z.boolean().default(true),
  memberships: z.array(MembershipSeed).default([]),
  /** An existing authenticator-app enrollment to migrate; the secret is encrypted on import. */
  totp: z.strictObject({ secret: z.string().regex(/^[A-Z2-7]{16,}=*$/, 'a base32 secret of at least 80 bits') }).optional(),
  /** An existing SMS enrollment to migrate: a mobile number in E.164. */
  smsPhone: z
    .string()
    .refine((n) => {
      const phone = parsePhoneNumberFromString(n);
      return phone?.isValid() === true && phone.number === n && phone.country !== undefined;
    }, 'a valid phone number in E.164, e.g. +14155550123')
    .optional(),
});

/** Members that only a private key has: a seed carries the client's public keys. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const PublicJwks = z.strictObject({
  keys: z
    .array(
      z
        .record(z.string(), z.unknown())
        .refine((jwk) => PRIVATE_JWK_MEMBERS.every((m) => !(m in jwk)), 'a public key only (no "d" or "k")')
        .refine(isPublicKey, 'not a usable public key (check kty, crv and the key members)'),
    )
    .min(1),
});

/** Node reads the key as oidc-provider will: a typo in `x` is found at import, not at the first login. */
function isPublicKey(jwk: Record<string, unknown>): boolean {
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
    return true;
  } catch {
    return false;
  }
}

/** Schemes a browser must never be redirected to with a code. */
const UNSAFE_REDIRECT_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:']);
/** A redirect URI: absolute, no fragment (OAuth 2.0 §3.1.2), never a script or local file. */
const RedirectUri = z.url().refine((uri) => {
  // Refinements run after a failed z.url() too; that failure is already reported.
  if (!URL.canParse(uri)) return true;
  const url = new URL(uri);
  return url.hash === '' && !uri.includes('#') && !UNSAFE_REDIRECT_SCHEMES.has(url.protocol);
}, 'an absolute URI without a fragment, not javascript:, data: or file:');

/** Keys are fetched over TLS; plain http only on this machine (tests, local development). */
const JwksUri = z.url().refine((uri) => {
  if (!URL.canParse(uri)) return true;
  const url = new URL(uri);
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url));
}, 'an https URL (http only on a loopback address)');

const ClientFields = z.strictObject({
  client_id: z.string().min(1),
  client_secret: z.string().optional(),
  client_name: z.string().min(1).optional(),
  redirect_uris: z.array(RedirectUri).min(1),
  post_logout_redirect_uris: z.array(RedirectUri).default([]),
  first_party: z.boolean().default(false),
  token_endpoint_auth_method: z.enum(CLIENT_AUTH_METHODS).optional(),
  jwks: PublicJwks.optional(),
  jwks_uri: JwksUri.optional(),
  require_pkce: z.boolean().default(true),
  /** Space-separated scopes the client may ask for; only a client listing `admin` may call the admin API. */
  scope: z
    .string()
    .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'space-separated scope names (RFC 6749 §3.3)')
    .refine((scope) => scope.split(' ').includes('openid'), 'must include openid')
    .refine((scope) => scope.split(' ').every((s) => (SCOPES as readonly string[]).includes(s)), `only these scopes exist: ${SCOPES.join(' ')}`)
    .optional(),
});
const ClientSeed = ClientFields.superRefine((client, ctx) => {
  for (const problem of clientRegistrationProblems(client)) ctx.addIssue({ code: 'custom', ...problem });
});

/** What a client entry's fields must agree on, given its authentication method. */
function clientRegistrationProblems(client: z.infer<typeof ClientFields>): { path: string[]; message: string }[] {
  const method = authMethodOf(client);
  const problems: { path: string[]; message: string }[] = [];
  const secret = SECRET_AUTH_METHODS.includes(method);
  if (secret && client.client_secret === undefined) problems.push({ path: ['client_secret'], message: `${method} needs a client_secret` });
  if (secret && client.client_secret !== undefined && client.client_secret.length < MIN_CLIENT_SECRET_LENGTH) {
    problems.push({ path: ['client_secret'], message: `at least ${MIN_CLIENT_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)` });
  }
  if (!secret && client.client_secret !== undefined) problems.push({ path: ['client_secret'], message: `${method} uses no client_secret` });
  if (method === 'private_key_jwt' && (client.jwks === undefined) === (client.jwks_uri === undefined)) {
    problems.push({ path: ['jwks'], message: 'private_key_jwt needs exactly one of jwks or jwks_uri' });
  }
  if (method !== 'private_key_jwt' && (client.jwks !== undefined || client.jwks_uri !== undefined)) {
    problems.push({ path: [client.jwks ? 'jwks' : 'jwks_uri'], message: 'keys are only for private_key_jwt' });
  }
  if (method === 'none' && !client.require_pkce) problems.push({ path: ['require_pkce'], message: 'a public client (none) always uses PKCE' });
  return problems;
}

/** The import format: companies, users with their memberships, and OAuth clients. */
export const SeedFile = z
  .strictObject({
    companies: z.array(CompanySeed).default([]),
    users: z.array(UserSeed).default([]),
    clients: z.array(ClientSeed).default([]),
  })
  .superRefine((seed, ctx) => {
    const companyIds = new Set<string>();
    seed.companies.forEach((c, i) => {
      if (companyIds.has(c.id)) ctx.addIssue({ code: 'custom', path: ['companies', i, 'id'], message: `duplicate company id "${c.id}"` });
      companyIds.add(c.id);
    });
    const emails = new Set<string>();
    seed.users.forEach((u, i) => {
      const email = emailLookupKey(u.email);
      if (emails.has(email)) ctx.addIssue({ code: 'custom', path: ['users', i, 'email'], message: `duplicate email "${u.email}" (emails are case-insensitive)` });
      emails.add(email);
      u.memberships.forEach((m, j) => {
        if (!companyIds.has(m.company)) {
          ctx.addIssue({ code: 'custom', path: ['users', i, 'memberships', j, 'company'], message: `unknown company "${m.company}"` });
        }
      });
    });
    const clientIds = new Set<string>();
    seed.clients.forEach((c, i) => {
      if (clientIds.has(c.client_id)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'client_id'], message: `duplicate client_id "${c.client_id}"` });
      if (BUILT_IN_CLIENT_IDS.includes(c.client_id)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'client_id'], message: `"${c.client_id}" is a built-in client (the admin console, Password & Security)` });
      clientIds.add(c.client_id);
    });
  });

export type Seed = z.infer<typeof SeedFile>;

export class SeedError extends Error {
  override name = 'SeedError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Seed file rejected:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** The rules of this deployment that a seed must follow too. */
export interface SeedRules {
  /** `SMS_COUNTRIES`: an imported phone must be one that could be enrolled today. */
  smsCountries: readonly string[];
  /** Outside production an SSO issuer may be plain http on a loopback address (tests, local IdPs). */
  allowLoopbackHttpIssuers: boolean;
}

const DEFAULT_RULES: SeedRules = { smsCountries: DEFAULT_SMS_COUNTRIES, allowLoopbackHttpIssuers: false };

/**
 * Validates a parsed seed; each problem names its JSON path, e.g. `users[2].memberships[0].company`.
 * An imported `smsPhone` must pass the same rules as an enrollment (Procore Pay, number type, country).
 */
export function parseSeed(json: unknown, rules: SeedRules = DEFAULT_RULES): Seed {
  const result = SeedFile.safeParse(json);
  if (!result.success) throw new SeedError(result.error.issues.map((issue) => `${jsonPath(issue.path)}: ${issue.message}`));
  const problems = [...smsPhoneProblems(result.data, rules), ...ssoProblems(result.data, rules)];
  if (problems.length > 0) throw new SeedError(problems);
  return result.data;
}

function smsPhoneProblems(seed: Seed, rules: SeedRules): string[] {
  return seed.users.flatMap((user, i) => {
    if (user.smsPhone === undefined) return [];
    const payRoles = user.memberships.filter((m) => m.status === 'active').flatMap((m) => m.payRoles);
    const verdict = checkSmsNumber({ number: user.smsPhone }, methodsAllowedForPayRoles(payRoles).sms, rules.smsCountries);
    return verdict.allowed ? [] : [`${jsonPath(['users', i, 'smsPhone'])}: ${SMS_REFUSAL_MESSAGES[verdict.reason]}`];
  });
}

/**
 * An SSO connection needs domains to route, an issuer over TLS (http on loopback outside production),
 * and domains no other company's SSO claims: an email must lead to exactly one company's sign-in.
 */
function ssoProblems(seed: Seed, rules: SeedRules): string[] {
  const problems: string[] = [];
  const ssoOwner = new Map<string, string>();
  seed.companies.forEach((company, i) => {
    if (!company.sso) return;
    const issuer = new URL(company.sso.issuer);
    const loopbackHttp = issuer.protocol === 'http:' && isLoopbackUrl(issuer) && rules.allowLoopbackHttpIssuers;
    if (issuer.protocol !== 'https:' && !loopbackHttp) {
      problems.push(`${jsonPath(['companies', i, 'sso', 'issuer'])}: an https URL${rules.allowLoopbackHttpIssuers ? ' (http only on a loopback address)' : ' in production'}`);
    }
    if (company.emailDomains.length === 0) problems.push(`${jsonPath(['companies', i, 'emailDomains'])}: a company with SSO needs the email domains to send to it`);
    company.emailDomains.forEach((domain, j) => {
      const owner = ssoOwner.get(domain);
      if (owner !== undefined) problems.push(`${jsonPath(['companies', i, 'emailDomains', j])}: "${domain}" already signs in through the SSO of company "${owner}"`);
      else ssoOwner.set(domain, company.id);
    });
  });
  return problems;
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '') || '(root)';
}

