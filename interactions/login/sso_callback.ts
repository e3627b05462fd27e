import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { interactionOfState, type Federation } from '../../sso/service.ts';
import { requestLogger } from '../middleware/request_log.ts';
import { showSsoFailure } from './sso.ts';
import { requestMeta } from '../request_meta.ts';

/** The one redirect URI every company's IdP registers, under the issuer. */
export const SSO_CALLBACK_PATH = '/sso/callback';

/**
 * `GET /sso/callback`: the IdP sends the browser here, outside `/interaction/<uid>`, so the
 * interaction cookie (whose path is that) is not sent. The state names the interaction; this hop
 * sends the browser on to `/interaction/<uid>/sso/callback`, where the cookie binds the answer to
 * the browser that started the sign-in. A sign-in that already used its answer is refused here.
 */
export function ssoCallbackRoute(federation: Federation, logger: Logger): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== SSO_CALLBACK_PATH) {
      await next();
      return;
    }
    if (ctx.method !== 'GET') ctx.throw(405, 'The sign-in answer comes back with a GET.');
    const state = typeof ctx.query['state'] === 'string' ? ctx.query['state'] : '';
    const uid = interactionOfState(state);
    const log = requestLogger(ctx.state, logger);
    if (uid === undefined) {
      // No sign-in to attribute it to (no company): the log is its record.
      log.warn({ event: 'sso.login_failed', reason: 'state_missing' }, 'SSO callback without a usable state');
      showSsoFailure(ctx, 'state_missing', 'your company', '/');
      return;
    }
    const replay = await federation.replayed(uid, requestMeta(ctx));
    if (replay) {
      log.warn({ event: 'sso.login_failed', reason: 'replayed_state' }, 'SSO callback replayed');
      showSsoFailure(ctx, 'replayed_state', replay.companyName, '/');
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}${SSO_CALLBACK_PATH}?${ctx.querystring}`);
  };
}
