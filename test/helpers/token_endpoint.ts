import type { TestClient } from './rp.ts';

/** A raw response of the token, revocation or userinfo endpoint. */
export interface EndpointReply {
  status: number;
  body: Record<string, unknown>;
}

function authHeaders(client: TestClient): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.secret !== undefined) headers['authorization'] = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;
  return headers;
}

/** POSTs a form to one of the provider's endpoints as `client` (basic auth, or client_id for a public client). */
export async function postAsClient(issuer: string, path: string, client: TestClient, form: Record<string, string>): Promise<EndpointReply> {
  const params = new URLSearchParams(client.secret === undefined ? { ...form, client_id: client.id } : form);
  const res = await fetch(new URL(path, issuer), { method: 'POST', headers: authHeaders(client), body: params });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A raw /token call: tests send the same grant several times in parallel, which openid-client would not. */
export function tokenRequest(issuer: string, client: TestClient, form: Record<string, string>): Promise<EndpointReply> {
  return postAsClient(issuer, '/token', client, form);
}

export function refresh(issuer: string, client: TestClient, refreshToken: string): Promise<EndpointReply> {
  return tokenRequest(issuer, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** The userinfo status for an access token: 200 while it is live, 401 once revoked. */
export async function userinfoStatus(issuer: string, accessToken: string): Promise<number> {
  const res = await fetch(new URL('/me', issuer), { headers: { authorization: `Bearer ${accessToken}` } });
  await res.arrayBuffer();
  return res.status;
}
