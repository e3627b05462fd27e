import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '../../adapters/redis/client.ts';
import { oauthUnavailable } from './error_pages.ts';
import { requestLogger } from './request_log.ts';

/**
 * oidc-provider catches errors in its own routes and answers them itself (JSON, a redirect to the
 * client, or the renderError page), so they never reach errorPages and nothing logged them. It emits
 * `server_error` for every unexpected one (a bug, a store outage), on every route and response type:
 * log each with its stack under the request's id, which the error page shows as the reference.
 * Expected OAuth errors (invalid_request, …) are 4xx and stay in the request line.
 */
export function logProviderServerErrors(provider: Provider, logger: Logger): void {
  provider.on('server_error', (ctx, err) => {
    requestLogger(ctx.state, logger).error({ err }, 'request failed');
  });
}

/**
 * oidc-provider answers an unexpected error in its JSON endpoints (token, userinfo, introspection,
 * revocation) itself, with 500 `server_error`. A store outage is not a bug, and the client should
 * retry rather than give up: like our own routes, it gets 503 with Retry-After, as OAuth JSON
 * (`temporarily_unavailable`). The listener runs after oidc-provider has set the answer and before
 * it is sent; its HTML pages already go through renderError, which says 503.
 */
export function answerStoreOutagesAs503(provider: Provider): void {
  provider.on('server_error', (ctx, err) => {
    if (!isStoreUnavailable(err) || ctx.status !== 500) return;
    const body: unknown = ctx.body;
    if (typeof body !== 'object' || body === null || Buffer.isBuffer(body)) return;
    ctx.status = 503;
    ctx.set('Retry-After', '60');
    ctx.body = oauthUnavailable();
  });
}

/**
 * A client that fails to authenticate gets only `invalid_client: client authentication failed`,
 * whatever the reason (RFC 6749 §5.2: the client learns nothing that helps guess a secret). The
 * integrator reading our log needs the reason oidc-provider knows, such as "the provided
 * authentication mechanism does not match the registered client authentication method": log it with
 * the client id. Never the secret or the assertion.
 */
export function logClientAuthFailures(provider: Provider, logger: Logger): void {
  const log = (ctx: KoaContextWithOIDC, err: unknown): void => {
    if (!(err instanceof errors.InvalidClientAuth)) return;
    requestLogger(ctx.state, logger).warn({ clientId: claimedClientId(ctx), reason: err.error_detail, endpoint: ctx.oidc.route }, 'client authentication failed');
  };
  // Every endpoint that authenticates clients.
  provider.on('grant.error', log);
  provider.on('introspection.error', log);
  provider.on('revocation.error', log);
  provider.on('pushed_authorization_request.error', log);
}

/** The client id the request named: the registered client, `client_id`, or the Basic user name. */
function claimedClientId(ctx: KoaContextWithOIDC): string | undefined {
  const named = ctx.oidc.client?.clientId ?? ctx.oidc.params?.['client_id'] ?? basicUserName(ctx.get('authorization'));
  // Whatever the request sent, bounded: the log is not a place to store an attacker's payload.
  return typeof named === 'string' ? named.slice(0, 128) : undefined;
}

function basicUserName(header: string): string | undefined {
  const [scheme, token] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !token) return undefined;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // Form-decoded, as oidc-provider reads it (RFC 6749 §2.3.1), so the logged id is the one it looked up.
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}
