import type Koa from 'koa';
import type { Middleware } from 'koa';

/**
 * The provider's public URL is configuration (ISSUER), never what a request claims. oidc-provider
 * builds every endpoint URL (discovery's `jwks_uri`, the redirect back to /auth after a login step)
 * from `ctx.href`, which Koa takes from the Host header, X-Forwarded-Host and X-Forwarded-Proto (both
 * with TRUST_PROXY) or an absolute-form request target. Two guards:
 * - `refuseOtherHosts`: a request for another host is answered 421 before anything else runs;
 * - `pinPublicOrigin`: `ctx.href` starts with the issuer's origin whatever the scheme a request arrived with.
 */

/**
 * Answer the same for every host and name no URL: load balancers and Kubernetes probe them with the
 * pod's address as Host.
 */
const ANY_HOST_PATHS = new Set(['/healthz', '/readyz']);

const ABSOLUTE_FORM = /^https?:\/\//i;

export function refuseOtherHosts(issuer: string): Middleware {
  const expected = new URL(issuer);
  return async (ctx, next) => {
    if (ANY_HOST_PATHS.has(ctx.path) || (hostOf(ctx.host, expected.protocol) === expected.host && targetHostMatches(ctx.originalUrl, expected))) {
      await next();
      return;
    }
    // The claimed host is not echoed: it is attacker-chosen text.
    ctx.status = 421;
    ctx.type = 'text/plain';
    ctx.body = `Misdirected request: this server answers for ${expected.origin} only.\n`;
  };
}

/** Makes `ctx.href` (and so every URL oidc-provider builds) use the issuer's origin. */
export function pinPublicOrigin(app: Koa, issuer: string): void {
  const { origin } = new URL(issuer);
  Object.defineProperty(app.request, 'href', {
    configurable: true,
    get(this: Koa.Request): string {
      const target = this.originalUrl;
      if (!ABSOLUTE_FORM.test(target)) return `${origin}${target}`;
      const url = new URL(target);
      return `${origin}${url.pathname}${url.search}`;
    },
  });
}

/** The host as the issuer's URL would spell it: lowercase, without the scheme's default port; '' if invalid. */
function hostOf(host: string, protocol: string): string {
  if (host === '') return '';
  try {
    const url = new URL(`${protocol}//${host}`);
    return url.username === '' && url.pathname === '/' ? url.host : '';
  } catch {
    return '';
  }
}

/** An absolute-form request target (`GET http://host/path`) names a host too, and Koa's href prefers it. */
function targetHostMatches(target: string, expected: URL): boolean {
  if (!ABSOLUTE_FORM.test(target)) return true;
  try {
    return new URL(target).host === expected.host;
  } catch {
    return false;
  }
}
