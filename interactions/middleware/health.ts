import type { Middleware } from 'koa';
import { withinDeadline } from '../../lib/deadline.ts';

/** A store that takes longer than this to answer a ping is not ready, stalled or not. */
export const READINESS_PING_TIMEOUT_MS = 1000;

/**
 * `/healthz`: the process is alive. `/readyz`: it can reach its store and is not shutting down, so a
 * load balancer may send traffic. While `draining` (SIGTERM received), `/readyz` answers 503 and every
 * response closes its connection, so keep-alive clients move to another instance.
 */
export function healthRoutes(ping: () => Promise<void>, draining: () => boolean = () => false): Middleware {
  return async (ctx, next) => {
    if (draining()) ctx.set('Connection', 'close');
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || (ctx.path !== '/healthz' && ctx.path !== '/readyz')) {
      await next();
      return;
    }
    if (ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
      return;
    }
    if (draining()) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'shutting down' };
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
