import type { Context, Middleware } from 'koa';
import { errors } from 'oidc-provider';
import type { Logger } from 'pino';
import { isStoreUnavailable } from '../../adapters/redis/client.ts';
import { renderPage } from '../render.ts';
import { RequestDeadlineExceeded } from './request_deadline.ts';
import { requestLogger } from './request_log.ts';

export interface ErrorPage {
  status: number;
  title: string;
  message: string;
  action?: { href: string; label: string };
}

const START_AGAIN = { href: '/', label: 'Start again' };

const API_ERROR_CODES: Record<number, string> = { 404: 'not_found', 413: 'too_large', 415: 'unsupported_media_type', 503: 'temporarily_unavailable' };

const CLIENT_ERROR_TITLES: Record<number, string> = {
  400: 'Something is missing',
  404: 'Page not found',
  405: 'Not allowed',
  413: 'Too much data',
  415: 'Unsupported form',
};

/**
 * Maps any error onto the page a person sees. Only client errors (4xx) show their own message; the
 * rest are generic, so internal details never reach the browser.
 */
export function errorPageFor(err: unknown): ErrorPage {
  if (isStoreUnavailable(err) || err instanceof RequestDeadlineExceeded) {
    return {
      status: 503,
      title: 'Temporarily unavailable',
      message: 'We cannot sign you in right now. Nothing was lost: please try again in a minute.',
      action: START_AGAIN,
    };
  }
  if (err instanceof errors.SessionNotFound) {
    return {
      status: 400,
      title: 'Your sign-in has expired',
      message: 'This sign-in page is no longer valid: it timed out or was already used. Return to the application and sign in again.',
      action: START_AGAIN,
    };
  }
  const status = httpStatusOf(err);
  if (status >= 400 && status < 500) {
    const message = err instanceof Error && 'expose' in err && err.expose === true ? err.message : 'The request could not be processed.';
    return { status, title: CLIENT_ERROR_TITLES[status] ?? 'Request not accepted', message };
  }
  return { status: 500, title: 'Something went wrong', message: 'An unexpected error occurred. Please try again.', action: START_AGAIN };
}

/** oidc-provider's endpoints that answer clients in JSON, never a person: the token endpoint and those under it, userinfo. */
const PROVIDER_JSON_PATHS = /^\/(token|me)(\/|$)/;

/**
 * A 503 in OAuth's JSON error format (RFC 6749 §5.2's shape; `temporarily_unavailable` as in
 * §4.1.2.1). It does not say "nothing was lost": oidc-provider consumes a refresh token before it
 * saves the new ones, so a retry after an outage between the two meets "already used".
 */
export function oauthUnavailable(): { error: string; error_description: string } {
  return { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable and the request may not have completed. Try again in a minute; if a refresh token is refused, sign in again.' };
}

export function renderErrorPage(ctx: Context, page: ErrorPage): void {
  if (page.status === 503) ctx.set('Retry-After', '60');
  // A request that ran out of time in the token endpoint (a stalled store) is answered like one
  // that found the store down there (provider_errors.ts): JSON a client can act on, not a page.
  if (page.status === 503 && PROVIDER_JSON_PATHS.test(ctx.path)) {
    ctx.status = 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = oauthUnavailable();
    return;
  }
  // The admin API answers in JSON, like its own errors (interactions/admin_api/routes.ts).
  if (ctx.path.startsWith('/api/')) {
    ctx.status = page.status;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: API_ERROR_CODES[page.status] ?? (page.status >= 500 ? 'server_error' : 'invalid_request'), message: page.message };
    return;
  }
  renderPage(ctx, 'message', { status: page.status, title: page.title }, {
    message: page.message,
    tone: 'error',
    action: page.action,
    reference: ctx.response.get('X-Request-Id') || undefined,
  });
}

/** Outermost middleware: branded pages for errors thrown by our routes and for unknown paths. */
export function errorPages(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        renderErrorPage(ctx, { status: 404, title: 'Page not found', message: 'There is nothing at this address.', action: START_AGAIN });
      }
    } catch (err) {
      const page = errorPageFor(err);
      const log = requestLogger(ctx.state, logger);
      if (page.status >= 500) log.error({ err }, 'request failed');
      else log.info({ status: page.status, error: err instanceof Error ? err.name : 'unknown' }, 'request refused');
      renderErrorPage(ctx, page);
    }
  };
}

function httpStatusOf(err: unknown): number {
  if (err && typeof err === 'object') {
    const status = 'status' in err ? err.status : 'statusCode' in err ? err.statusCode : undefined;
    if (typeof status === 'number') return status;
  }
  return 500;
}
