import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import type { Browser, Page } from '../helpers/browser.ts';
import { CLIENT_ORIGIN, submitCredentials } from '../helpers/flows.ts';
import { totpNow } from '../helpers/mfa.ts';

/**
 * The user agent side of the OpenID Foundation's OP test modules: build the authorization request
 * the suite builds (code flow, `openid`, fresh `state` and `nonce`, no PKCE), send it as GET or
 * POST, sign in when the provider asks, and read the response wherever it lands (query, fragment or
 * form_post), checking `state` and `iss` on every one of them.
 */

export interface CertificationClient {
  id: string;
  secret: string;
  redirectUri: string;
  postLogoutRedirectUri: string | undefined;
  authMethod: 'client_secret_basic' | 'client_secret_post';
}

/** test/fixtures/seed.json: confidential, first party, `require_pkce: false` as the Basic profile needs. */
export const CERTIFICATION: CertificationClient = {
  id: 'certification',
  secret: 'certification-secret-0123456789-abcdef',
  redirectUri: 'http://127.0.0.1:1/certification/callback',
  postLogoutRedirectUri: 'http://127.0.0.1:1/certification/post_logout_redirect',
  authMethod: 'client_secret_basic',
};

/** The second client of the plan (oidcc-server-client-secret-post, and "client2" of oidcc-refresh-token). */
export const CERTIFICATION_POST: CertificationClient = {
  id: 'certification-post',
  secret: 'certification-post-secret-0123456789-ab',
  redirectUri: 'http://127.0.0.1:1/certification-post/callback',
  postLogoutRedirectUri: undefined,
  authMethod: 'client_secret_post',
};

export interface User {
  email: string;
  password: string;
  /** An enrolled authenticator app: the provider challenges after the password. */
  totpSecret?: string;
}

/** Acme does not require MFA: a password signs these users in. */
export const ALICE: User = { email: 'alice@acme.test', password: 'alice-password-1' };
export const BOB: User = { email: 'bob@acme.test', password: 'bob-password-12' };
/** Summit requires MFA and Erin is enrolled: every login ends with a TOTP challenge. */
export const ERIN: User = { email: 'erin@summit.test', password: 'erin-password-1', totpSecret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' };

/** The plan's response_mode variant: Basic OP uses the default, Form Post OP `form_post`. */
export type ResponseMode = 'default' | 'form_post';

export interface AuthorizationRequest {
  params: Record<string, string>;
  client: CertificationClient;
  codeVerifier: string | undefined;
}

function random(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The suite's CreateAuthorizationRequestSteps. `extra` adds or overrides parameters; a parameter set
 * to `undefined` is left out (e.g. `{ nonce: undefined }`).
 */
export function authorizationRequest(client: CertificationClient, mode: ResponseMode, extra: Record<string, string | undefined> = {}): AuthorizationRequest {
  const all: Record<string, string | undefined> = {
    client_id: client.id,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: random(),
    nonce: random(),
    ...(mode === 'form_post' ? { response_mode: 'form_post' } : {}),
    ...extra,
  };
  const params = Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { params, client, codeVerifier: undefined };
}

/** The same request with PKCE (S256), for oidcc-ensure-request-with-valid-pkce-succeeds. */
export function withPkce(request: AuthorizationRequest): AuthorizationRequest {
  const codeVerifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
  return { ...request, params: { ...request.params, code_challenge: challenge, code_challenge_method: 'S256' }, codeVerifier };
}

/** Where the user agent stops once the provider is done with it. */
export type Outcome =
  /** The authorization response reached the client's redirect URI. */
  | { kind: 'response'; params: URLSearchParams; via: 'query' | 'fragment' | 'form_post'; target: string }
  /** A screen of ours (login, MFA, consent) under /interaction/<uid>. */
  | { kind: 'interaction'; uid: string; page: Page }
  /** Anything else the provider rendered itself, e.g. an error page: nothing went to the client. */
  | { kind: 'page'; page: Page };

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&#x2F;': '/', '&#47;': '/' };

function unescapeHtml(value: string): string {
  return value.replace(/&(?:amp|lt|gt|quot|#39|#x27|#x2F|#47);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** oidc-provider's form_post page: a form that posts hidden fields to the client. */
export function formPostIn(page: Page): { action: string; params: URLSearchParams } | undefined {
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page.body);
  if (!form?.[1] || form[2] === undefined) return undefined;
  const params = new URLSearchParams();
  for (const input of form[2].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) {
    params.append(unescapeHtml(input[1] ?? ''), unescapeHtml(input[2] ?? ''));
  }
  return { action: unescapeHtml(form[1]), params };
}

function responseAt(location: string): Outcome {
  const url = new URL(location);
  const target = `${url.origin}${url.pathname}`;
  if (url.hash.length > 1) return { kind: 'response', params: new URLSearchParams(url.hash.slice(1)), via: 'fragment', target };
  return { kind: 'response', params: url.searchParams, via: 'query', target };
}

/** Follows the provider's redirects until the client is reached or a page is shown. */
export async function follow(browser: Browser, start: Page): Promise<Outcome> {
  let page = start;
  for (let hops = 0; hops < 10; hops++) {
    if (page.status !== 302 && page.status !== 303) {
      const form = formPostIn(page);
      if (form?.action.startsWith(CLIENT_ORIGIN)) return { kind: 'response', params: form.params, via: 'form_post', target: form.action };
      return { kind: 'page', page };
    }
    const location = page.location;
    assert.ok(location, `a ${page.status} without a Location`);
    if (location.startsWith(CLIENT_ORIGIN)) return responseAt(location);
    const uid = /^\/interaction\/([\w-]+)$/.exec(new URL(location, browser.target).pathname)?.[1];
    page = await browser.get(location);
    // A screen, unless the step resolves itself (a first-party app's consent redirects straight on).
    if (uid && page.status !== 302 && page.status !== 303) return { kind: 'interaction', uid, page };
  }
  throw new Error('too many redirects');
}

/** Sends the request to the authorization endpoint, as a GET (query) or a POST (form), and follows it. */
export async function send(browser: Browser, request: AuthorizationRequest, method: 'GET' | 'POST' = 'GET'): Promise<Outcome> {
  const page = method === 'GET' ? await browser.get(`/auth?${new URLSearchParams(request.params).toString()}`) : await browser.post('/auth', request.params);
  return follow(browser, page);
}

/** The login screen: our email step, which takes `login_hint` as its initial value. */
export function isLoginScreen(outcome: Outcome): outcome is Extract<Outcome, { kind: 'interaction' }> {
  return outcome.kind === 'interaction' && outcome.page.body.includes(`/interaction/${outcome.uid}/email`);
}

/** Email, password and, for an enrolled user, the TOTP challenge; returns where the flow lands next. */
export async function signIn(browser: Browser, outcome: Outcome, user: User, clock: Clock): Promise<Outcome> {
  assert.ok(isLoginScreen(outcome), `expected the login screen, got ${outcomeSummary(outcome)}`);
  let next = await follow(browser, await submitCredentials(browser, outcome.uid, user.email, user.password));
  if (next.kind === 'interaction' && user.totpSecret !== undefined && next.page.body.includes(`/interaction/${next.uid}/mfa/verify`)) {
    next = await follow(browser, await browser.post(`/interaction/${next.uid}/mfa/verify`, { code: await totpNow(user.totpSecret, clock) }));
  }
  return next;
}

/** A short account of an outcome for assertion messages. */
export function outcomeSummary(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'response':
      return `a ${outcome.via} response to ${outcome.target}: ${outcome.params.toString()}`;
    case 'interaction':
      return `interaction ${outcome.uid}: ${outcome.page.body.slice(0, 200)}`;
    case 'page':
      return `a ${outcome.page.status} page: ${outcome.page.body.replace(/\s+/g, ' ').slice(0, 300)}`;
  }
}

/**
 * The authorization response, checked as every module checks it: it reached the registered redirect
 * URI in the requested response mode, and carries the request's `state` (none if none was sent) and
 * the issuer in `iss` (RFC 9207).
 */
export function authorizationResponse(outcome: Outcome, request: AuthorizationRequest, issuer: string, via?: 'query' | 'fragment' | 'form_post'): URLSearchParams {
  assert.ok(outcome.kind === 'response', `expected an authorization response, got ${outcomeSummary(outcome)}`);
  assert.equal(outcome.target, request.client.redirectUri, 'the response goes to the registered redirect URI');
  assert.equal(outcome.via, via ?? (request.params['response_mode'] === 'form_post' ? 'form_post' : 'query'));
  assert.equal(outcome.params.get('state'), request.params['state'] ?? null, 'state is returned unchanged');
  assert.equal(outcome.params.get('iss'), issuer, 'iss names the issuer (RFC 9207)');
  return outcome.params;
}

/** A successful authorization response: its code. */
export function codeFrom(outcome: Outcome, request: AuthorizationRequest, issuer: string): string {
  const params = authorizationResponse(outcome, request, issuer);
  assert.equal(params.get('error'), null, `unexpected error: ${params.toString()}`);
  const code = params.get('code');
  assert.ok(code, 'a code');
  return code;
}

/** An error authorization response: its error code, after checking no code came with it. */
export function errorFrom(outcome: Outcome, request: AuthorizationRequest, issuer: string, via?: 'query' | 'fragment' | 'form_post'): string {
  const params = authorizationResponse(outcome, request, issuer, via);
  assert.equal(params.get('code'), null, 'no code with an error');
  const error = params.get('error');
  assert.ok(error, `expected an error, got ${params.toString()}`);
  return error;
}

/** A page the provider showed instead of redirecting: never a redirect, never a form to the client. */
export function assertNoRedirect(outcome: Outcome): Page {
  assert.ok(outcome.kind === 'page', `the user agent must stay at the provider, got ${outcomeSummary(outcome)}`);
  assert.equal(outcome.page.location, undefined);
  assert.ok(!outcome.page.body.includes(CLIENT_ORIGIN), 'the page neither links nor posts to the client');
  return outcome.page;
}
