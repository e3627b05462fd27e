import type { Middleware } from 'koa';
import { withinDeadline } from '../../lib/deadline.ts';

/** A store that takes longer than this to answer a ping is not ready, stalled or not. */
export const READINESS_PING_TIMEOUT_MS = 1000;

/** `/healthz`: the process is alive. `/readyz`: it can reach its store, so a load balancer may send traffic. */
export function healthRoutes(ping: () => Promise<void>): Middleware {
  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || (ctx.path !== '/healthz' && ctx.path !== '/readyz')) {
      await next();
      return;
    }
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    try {
      await withinDeadline(ping(), READINESS_PING_TIMEOUT_MS, () => new Error('store ping timed out'));
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'store unreachable' };
    }
  };
}
