import type { Context } from 'koa';
import type { RequestMeta } from '../audit/security_events.ts';

/** Who made a console or API request, for the audit trail (ctx.ip honours TRUST_PROXY). */
export function requestMeta(ctx: Context): RequestMeta {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') };
}
