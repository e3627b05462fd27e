import { timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Metrics } from '../../lib/metrics.ts';

/** `GET /metrics` with `Authorization: Bearer <METRICS_TOKEN>`; not served without a token. */
export function metricsRoute(metrics: Metrics, token: string | undefined): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/metrics' || ctx.method !== 'GET' || token === undefined) {
      await next();
      return;
    }
    const given = Buffer.from(ctx.get('authorization'));
    const expected = Buffer.from(`Bearer ${token}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      ctx.status = 401;
      ctx.body = { error: 'unauthorized' };
      return;
    }
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}
