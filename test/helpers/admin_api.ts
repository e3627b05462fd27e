import assert from 'node:assert/strict';
import type { ManualClock } from '../../lib/clock.ts';
import { follow, signInAtProvider, type Person } from './admin.ts';
import { Browser, type Page } from './browser.ts';
import { oidc } from './rp.ts';

/** A client of test/fixtures/admin_seed.json, as a relying party holds it. */
export interface SeedClient {
  id: string;
  secret: string;
  redirectUri: string;
}

/** Registered with the `admin` scope: the only kind of client that gets a token for the admin API. */
export const ADMIN_SCRIPT: SeedClient = { id: 'admin-script', secret: 'admin-script-secret-0123456789abcdef', redirectUri: 'http://127.0.0.1:1/cb' };
/** An ordinary first-party app: the default scopes, no `admin`. */
export const WEB: SeedClient = { id: 'web', secret: 'web-secret-0123456789-abcdefghijkl', redirectUri: 'http://127.0.0.1:1/cb' };

/** What a script asks for: the admin scope, a refresh token, and a multi-factor sign-in. */
export const ADMIN_SCOPE_REQUEST = 'openid email admin offline_access';

export interface StartedAuthorization {
  rp: oidc.Configuration;
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string | undefined;
  scope: string;
  /** The browser that signed in: it holds the provider session. */
  browser: Browser;
}

/** openid-client's discovery and an authorization URL with PKCE (S256), state and nonce. */
export async function startAuthorization(issuer: string, client: SeedClient, params: Record<string, string>): Promise<StartedAuthorization> {
  const rp = await oidc.discovery(new URL(issuer), client.id, undefined, oidc.ClientSecretBasic(client.secret), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: client.redirectUri,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { rp, url, verifier, state, nonce };
}

/** The redirect back to the client (a callback URL with a code, or an error). */
export function callbackOf(page: Page, client: SeedClient): string {
  assert.ok(page.status === 302 || page.status === 303, `expected a redirect to the client, got ${page.status}: ${page.body.slice(0, 300)}`);
  const location = page.location ?? '';
  assert.ok(location.startsWith(client.redirectUri), `expected a redirect to ${client.redirectUri}, got ${location}`);
  return location;
}

/** Exchanges the callback's code as the relying party (PKCE verifier, state and nonce checked). */
export async function exchange(started: StartedAuthorization, callback: string, browser: Browser): Promise<Tokens> {
  const tokens = await oidc.authorizationCodeGrant(started.rp, new URL(callback), { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, scope: tokens.scope ?? '', browser };
}

/**
 * Signs `who` in at the provider for `client` (password, then the authenticator code when asked)
 * and exchanges the code: the tokens a script or app really gets.
 */
export async function signInForTokens(issuer: string, client: SeedClient, who: Person, clock: ManualClock, params: Record<string, string>, browser = new Browser(issuer)): Promise<Tokens> {
  const started = await startAuthorization(issuer, client, params);
  const login = await follow(browser, await browser.get(started.url.href));
  const done = await signInAtProvider(browser, login, who, clock);
  return exchange(started, callbackOf(done, client), browser);
}

/** An admin's token for the API: client `admin-script`, the admin scope, a multi-factor sign-in. */
export function adminToken(issuer: string, who: Person, clock: ManualClock, acr: string): Promise<Tokens> {
  return signInForTokens(issuer, ADMIN_SCRIPT, who, clock, { scope: ADMIN_SCOPE_REQUEST, acr_values: acr });
}

export interface ApiReply {
  status: number;
  body: Record<string, unknown>;
  /** The WWW-Authenticate header, if any. */
  challenge: string | null;
  contentType: string;
}

export interface ApiRequest {
  token?: string | undefined;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with the JSON content type (a malformed body). */
  raw?: string;
  headers?: Record<string, string>;
}

/** The user agent the API calls send, so the audit trail can be checked for it. */
export const SCRIPT_USER_AGENT = 'admin-script/1.0 (test)';

/** One call of the admin API over HTTP, as a script makes it. */
export async function callApi(issuer: string, method: string, path: string, request: ApiRequest = {}): Promise<ApiReply> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': SCRIPT_USER_AGENT, ...request.headers };
  if (request.token !== undefined) headers['authorization'] = `Bearer ${request.token}`;
  const body = request.raw ?? (request.json === undefined ? undefined : JSON.stringify(request.json));
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(new URL(path, issuer), { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let parsed: Record<string, unknown> = {};
  if (text !== '') {
    assert.match(contentType, /^application\/json/, `${method} ${path} answered ${res.status} ${contentType}: ${text.slice(0, 300)}`);
    parsed = JSON.parse(text) as Record<string, unknown>;
  }
  return { status: res.status, body: parsed, challenge: res.headers.get('www-authenticate'), contentType };
}

/** A Bearer challenge (RFC 6750 §3): its scheme and auth-params, quoted values unquoted. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } {
  assert.ok(header, 'a WWW-Authenticate header');
  const scheme = /^(\S+)/.exec(header)?.[1] ?? '';
  const params: Record<string, string> = {};
  for (const match of header.slice(scheme.length).matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[match[1] ?? ''] = match[2] ?? match[3] ?? '';
  }
  return { scheme, params };
}

/** POSTs a form to one of the provider's endpoints (token, revocation) with the client's basic auth. */
export async function postAsSeedClient(issuer: string, path: string, client: SeedClient, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export function refreshAs(issuer: string, client: SeedClient, refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return postAsSeedClient(issuer, '/token', client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}
