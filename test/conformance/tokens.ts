import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { AuthorizationRequest, CertificationClient } from './helpers.ts';

/**
 * The back-channel side of the modules: discovery, the token endpoint with the client's own
 * authentication method, ID token validation (the suite's ValidateIdToken, ValidateIdTokenNonce,
 * ValidateIdTokenSignatureUsingKid) and the userinfo endpoint.
 */

export type Metadata = Record<string, unknown> & { issuer: string; jwks_uri: string; token_endpoint: string; userinfo_endpoint: string };

export interface Op {
  issuer: string;
  metadata: Metadata;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

export async function discover(issuer: string): Promise<Op> {
  const res = await fetch(new URL('/.well-known/openid-configuration', issuer));
  assert.equal(res.status, 200);
  const metadata = (await res.json()) as Metadata;
  return { issuer, metadata, jwks: createRemoteJWKSet(new URL(metadata.jwks_uri)) };
}

/** A string array member of the discovery document (empty when absent). */
export function listed(op: Op, member: string): string[] {
  const value = op.metadata[member];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export interface EndpointReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function replyOf(res: Response): Promise<EndpointReply> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined and base64-encoded. */
function basicAuth(client: CertificationClient): string {
  const encode = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(client.id)}:${encode(client.secret)}`).toString('base64')}`;
}

/** A token endpoint request authenticated the client's registered way (basic header or body). */
export async function tokenRequest(op: Op, client: CertificationClient, form: Record<string, string>): Promise<EndpointReply> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (client.authMethod === 'client_secret_basic') headers['authorization'] = basicAuth(client);
  else {
    body.set('client_id', client.id);
    body.set('client_secret', client.secret);
  }
  return replyOf(await fetch(op.metadata.token_endpoint, { method: 'POST', headers, body }));
}

export function exchangeCode(op: Op, request: AuthorizationRequest, code: string): Promise<EndpointReply> {
  return tokenRequest(op, request.client, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: request.client.redirectUri,
    ...(request.codeVerifier === undefined ? {} : { code_verifier: request.codeVerifier }),
  });
}

export interface TokenSet {
  accessToken: string;
  idToken: string;
  refreshToken: string | undefined;
  body: Record<string, unknown>;
}

/** A successful token response as RFC 6749 §5.1 and OIDC Core §3.1.3.3 describe it. */
export function tokenSet(reply: EndpointReply): TokenSet {
  assert.equal(reply.status, 200, `token endpoint: ${JSON.stringify(reply.body)}`);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok((reply.headers.get('cache-control') ?? '').split(',').map((s) => s.trim()).includes('no-store'), 'Cache-Control: no-store');
  const { access_token: accessToken, id_token: idToken, refresh_token: refreshToken, token_type: tokenType, expires_in: expiresIn } = reply.body;
  assert.equal(typeof accessToken, 'string');
  assert.equal(typeof idToken, 'string', 'an ID token from the token endpoint');
  assert.equal(String(tokenType).toLowerCase(), 'bearer');
  assert.ok(typeof expiresIn === 'number' && expiresIn > 0, 'expires_in');
  assert.ok(refreshToken === undefined || typeof refreshToken === 'string');
  return { accessToken: String(accessToken), idToken: String(idToken), refreshToken: typeof refreshToken === 'string' ? refreshToken : undefined, body: reply.body };
}

export interface IdTokenExpectations {
  client: CertificationClient;
  /** The request's nonce, or `undefined` when none was sent (then the ID token must carry none). */
  nonce: string | undefined;
  /** Checks at_hash against it when the ID token has one. */
  accessToken?: string;
}

/**
 * Verifies an ID token the way the suite does: signed with an advertised algorithm by a key of the
 * JWKS named by `kid`, issued by the issuer for this client, unexpired, with `sub`, and with exactly
 * the nonce that was sent.
 */
export async function validateIdToken(op: Op, idToken: string, expect: IdTokenExpectations): Promise<JWTPayload> {
  const header = decodeProtectedHeader(idToken);
  assert.ok(typeof header.kid === 'string' && header.kid.length > 0, 'the ID token names its key (kid)');
  const algorithms = listed(op, 'id_token_signing_alg_values_supported').filter((alg) => alg !== 'none');
  const { payload } = await jwtVerify(idToken, op.jwks, { issuer: op.issuer, audience: expect.client.id, algorithms, requiredClaims: ['sub', 'iat', 'exp'] });
  assert.ok(typeof payload.sub === 'string' && payload.sub.length > 0);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(payload.iat !== undefined && payload.iat <= now + 5, 'iat is not in the future');
  if (Array.isArray(payload.aud) && payload.aud.length > 1) assert.equal(payload['azp'], expect.client.id);
  assert.equal(payload['nonce'], expect.nonce, expect.nonce === undefined ? 'no nonce when none was sent' : 'the nonce that was sent');
  if (payload['auth_time'] !== undefined) assert.equal(typeof payload['auth_time'], 'number');
  if (payload['acr'] !== undefined) assert.equal(typeof payload['acr'], 'string');
  if (payload['at_hash'] !== undefined && expect.accessToken !== undefined) {
    const digest = createHash('sha256').update(expect.accessToken).digest();
    assert.equal(payload['at_hash'], digest.subarray(0, digest.length / 2).toString('base64url'), 'at_hash matches the access token');
  }
  return payload;
}

/** Code exchange, token response checks and ID token validation: the end of every successful module. */
export async function redeem(op: Op, request: AuthorizationRequest, code: string): Promise<TokenSet & { claims: JWTPayload }> {
  const tokens = tokenSet(await exchangeCode(op, request, code));
  const claims = await validateIdToken(op, tokens.idToken, { client: request.client, nonce: request.params['nonce'], accessToken: tokens.accessToken });
  return { ...tokens, claims };
}

/** The three ways the Basic plan calls userinfo (oidcc-userinfo-get, -post-header, -post-body). */
export type UserinfoMethod = 'get' | 'post-header' | 'post-body';

export async function userinfo(op: Op, accessToken: string, method: UserinfoMethod = 'get'): Promise<EndpointReply> {
  const url = op.metadata.userinfo_endpoint;
  switch (method) {
    case 'get':
      return replyOf(await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } }));
    case 'post-header':
      return replyOf(await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } }));
    case 'post-body':
      return replyOf(await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: accessToken }) }));
  }
}

/** Userinfo claims for a live access token, checked against the ID token's subject (OIDC Core §5.3.2). */
export async function userinfoClaims(op: Op, accessToken: string, sub: string | undefined, method: UserinfoMethod = 'get'): Promise<Record<string, unknown>> {
  const reply = await userinfo(op, accessToken, method);
  assert.equal(reply.status, 200, `userinfo: ${JSON.stringify(reply.body)}`);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(reply.body['sub'], sub, 'userinfo and ID token name the same subject');
  return reply.body;
}
