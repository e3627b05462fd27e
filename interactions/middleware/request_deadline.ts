import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { withinDeadline } from '../../lib/deadline.ts';
import { requestLogger } from './request_log.ts';

/** A request that waited longer than REQUEST_TIMEOUT_SECONDS; answered 503 like a store outage. */
export class RequestDeadlineExceeded extends Error {
  override name = 'RequestDeadlineExceeded';
}

/**
 * Answers a request that is still waiting after `ms` (a stalled Redis: connected, never answering)
 * with a 503, instead of holding the browser, the load balancer and a connection for minutes.
 *
 * One timer per request, created here, outside oidc-provider's AsyncLocalStorage (it enters it only in
 * its own routes, further in), and cleared when the request ends: unlike a timer per Redis command
 * (docs/decisions.md, Storage), it keeps no request context alive. The abandoned work still finishes
 * or fails on its own; its response is already sent, so it can only write to the log.
 */
export function requestDeadline(ms: number, logger: Logger): Middleware {
  return async (ctx, next) => {
    const work = next();
    try {
      await withinDeadline(work, ms, () => new RequestDeadlineExceeded(`no response within ${ms} ms`));
    } catch (err) {
      if (err instanceof RequestDeadlineExceeded) {
        const log = requestLogger(ctx.state, logger);
        work.then(
          () => {
            log.warn('request finished after its deadline');
          },
          (late: unknown) => {
            log.warn({ err: late }, 'request failed after its deadline');
          },
        );
      }
      throw err;
    }
  };
}
