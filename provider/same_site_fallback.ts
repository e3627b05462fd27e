import type { ProviderMiddleware } from './middleware.ts';

const SAME_SITE_NONE = /;\s*samesite=none\b/i;

/**
 * oidc-provider's session cookie is `SameSite=None`, so that a cross-site form POST to /auth or
 * /session/end carries it. Browsers drop a `SameSite=None` cookie that is not `Secure`, and
 * oidc-provider marks cookies `Secure` only over TLS (`ctx.secure`, which honours X-Forwarded-Proto
 * with TRUST_PROXY). Over plain HTTP (development) the cookie would be lost and nobody could log in,
 * so there it becomes `SameSite=Lax`: a cross-site POST then arrives without the session, which
 * costs single sign-on for that request, not the login.
 */
export const sameSiteLaxWithoutTls: ProviderMiddleware = async (ctx, next) => {
  await next();
  if (ctx.secure) return;
  const header = ctx.res.getHeader('set-cookie');
  if (header === undefined || typeof header === 'number') return;
  const lines = typeof header === 'string' ? [header] : header;
  if (!lines.some((line) => SAME_SITE_NONE.test(line))) return;
  ctx.res.setHeader('set-cookie', lines.map((line) => line.replace(SAME_SITE_NONE, '; samesite=lax')));
};
