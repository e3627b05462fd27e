import type { Middleware } from 'koa';
import type { Metrics } from '../../lib/metrics.ts';
import { methodLabel, routeTemplate, statusClass } from './route_template.ts';

/**
 * Times each request, from the first middleware to the response being set, by route template,
 * method and status class. It runs outermost, so the status is the one the client gets, error pages
 * included; an error that escapes every handler counts with the status Koa answers it with.
 */
export function requestMetrics(metrics: Pick<Metrics, 'httpRequestSeconds'>): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    let status = 500;
    try {
      await next();
      status = ctx.status;
    } catch (err) {
      status = escapedErrorStatus(err);
      throw err;
    } finally {
      const route = routeTemplate((ctx as { _matchedRoute?: unknown })._matchedRoute, ctx.path);
      metrics.httpRequestSeconds.observe({ route, method: methodLabel(ctx.method), status_class: statusClass(status) }, (performance.now() - started) / 1000);
    }
  };
}

/** Koa answers an escaped error with its `status` when that is an HTTP error status, else 500. */
function escapedErrorStatus(err: unknown): number {
  const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}
