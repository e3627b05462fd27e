import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';

const SAFE_REQUEST_ID = /^[\w.-]{1,64}$/;

/** Gives each request an id (kept from `X-Request-Id` when it looks safe) and logs one line when it ends. */
export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set('X-Request-Id', requestId);
    const log = logger.child({ requestId });
    ctx.state['log'] = log;
    const started = performance.now();
    try {
      await next();
    } finally {
      // The path only: query strings carry codes, states and hints.
      log.info({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
    }
  };
}

export function requestLogger(state: Record<string, unknown>, fallback: Logger): Logger {
  const log = state['log'];
  return log && typeof log === 'object' && 'info' in log ? (log as Logger) : fallback;
}
