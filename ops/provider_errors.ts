import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
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
