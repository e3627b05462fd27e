import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { DirectoryStore } from '../../directory/store.ts';
import { ACR } from '../../mfa/assurance.ts';
import { ADMIN_SCOPE } from '../../provider/clients.ts';

/** The admin behind an API request, from its access token. */
export interface ApiCaller {
  userId: string;
  clientId: string;
  /** Epoch seconds of the authentication behind the token (provider/token_auth_context.ts). */
  authTime: number;
}

/** Why a request's token is not good enough: RFC 6750 §3.1, and RFC 9470 for the authentication. */
export interface BearerRefusal {
  status: 400 | 401 | 403;
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | undefined;
  description: string;
  /** RFC 9470 §3: what a new authentication must meet. */
  acrValues?: string;
  maxAge?: number;
}

const REALM = 'admin-api';
/** RFC 6750 §2.1 b64token. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Checks a bearer access token the way oidc-provider's own userinfo endpoint does (the token, its
 * client, its grant, its account), then what the admin API adds: the `admin` scope, and an
 * authentication with the multi-factor acr. A revoked grant (an MFA reset, a logout that revoked
 * the chain) takes its tokens with it.
 */
export async function authenticateBearer(ctx: Context, provider: Provider, directory: DirectoryStore): Promise<ApiCaller | BearerRefusal> {
  const header = ctx.get('authorization');
  // RFC 6750 §3.1: no credentials, or another scheme, get a bare challenge; a malformed Bearer header is a 400.
  if (!/^Bearer\s/i.test(header)) return { status: 401, error: undefined, description: 'an access token is required (Authorization: Bearer)' };
  const value = BEARER.exec(header)?.[1];
  if (value === undefined) return { status: 400, error: 'invalid_request', description: 'the Authorization header is not a valid Bearer token' };
  const token = await provider.AccessToken.find(value);
  if (!token?.accountId || !token.grantId) return invalid('the access token is invalid, expired or revoked');
  const [client, grant, user] = await Promise.all([provider.Client.find(token.clientId ?? ''), provider.Grant.find(token.grantId), directory.findUser(token.accountId)]);
  if (!client || !grant || grant.clientId !== token.clientId || grant.accountId !== token.accountId) return invalid('the access token is invalid, expired or revoked');
  if (user?.status !== 'active') return invalid('the account behind the access token is not active');
  if (!(token.scope ?? '').split(' ').includes(ADMIN_SCOPE)) return { status: 403, error: 'insufficient_scope', description: `the access token lacks the ${ADMIN_SCOPE} scope` };
  const extra = token.extra ?? {};
  if (extra['acr'] !== ACR.multiFactor) {
    return { status: 401, error: 'insufficient_user_authentication', description: 'the admin API needs a sign-in with multi-factor authentication', acrValues: ACR.multiFactor };
  }
  const authTime = extra['auth_time'];
  if (typeof authTime !== 'number') return invalid('the access token does not say when the user authenticated');
  return { userId: token.accountId, clientId: token.clientId ?? '', authTime };
}

export function isRefusal(result: ApiCaller | BearerRefusal): result is BearerRefusal {
  return 'status' in result;
}

/** A change needs a recent authentication (ADMIN_REAUTH_SECONDS), as in the console: RFC 9470 `max_age`. */
export function staleAuthentication(caller: ApiCaller, nowSeconds: number, reauthSeconds: number): BearerRefusal | undefined {
  if (nowSeconds - caller.authTime <= reauthSeconds) return undefined;
  return { status: 401, error: 'insufficient_user_authentication', description: 'this change needs a more recent authentication', maxAge: reauthSeconds, acrValues: ACR.multiFactor };
}

/** Answers a refusal with its WWW-Authenticate challenge and a JSON body. */
export function refuse(ctx: Context, refusal: BearerRefusal): void {
  const params = [`realm="${REALM}"`];
  if (refusal.error) params.push(`error="${refusal.error}"`, `error_description="${refusal.description}"`);
  if (refusal.error === 'insufficient_scope') params.push(`scope="${ADMIN_SCOPE}"`);
  if (refusal.acrValues) params.push(`acr_values="${refusal.acrValues}"`);
  if (refusal.maxAge !== undefined) params.push(`max_age=${refusal.maxAge}`);
  ctx.status = refusal.status;
  ctx.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: refusal.error ?? 'unauthorized', message: refusal.description };
}

function invalid(description: string): BearerRefusal {
  return { status: 401, error: 'invalid_token', description };
}
