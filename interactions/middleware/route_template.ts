/**
 * The `route` label of the request histogram: the template the request matched, never its path, so
 * interaction uids, company ids and tokens in URLs never become label values and the series stay few.
 */

/** Every path no route claims (404s, probes, typos) shares this one label. */
export const OTHER_ROUTE = 'other';

/** Paths served by plain middleware rather than a router, so no template is recorded for them. */
const FIXED_PATHS: ReadonlySet<string> = new Set(['/', '/healthz', '/readyz', '/metrics', '/sso/callback', '/demo', '/demo/partner', '/demo/callback']);
const ASSET_PREFIX = '/assets/';
const LONGEST_TEMPLATE = 120;

/**
 * `matched` is what the router recorded on the context (`ctx._matchedRoute`: oidc-provider's router
 * and @koa/router both set it to the declared path, such as `/auth/:uid` or
 * `/interaction/:uid/mfa/totp`); `path` is the request's path, used only to recognise the fixed paths.
 *
 * A request a router's guard answered before any route matched (a sign-in redirect, a 401, an
 * unknown page under the prefix) carries the guard's pattern, such as `/interaction/:uid{/*rest}` or
 * `/admin(?:\/|$)`: it becomes the prefix with `/*`.
 */
export function routeTemplate(matched: unknown, path: string): string {
  if (typeof matched === 'string' && matched.startsWith('/') && matched.length <= LONGEST_TEMPLATE) {
    const pattern = matched.search(/[{(]/);
    return pattern < 0 ? matched : `${matched.slice(0, pattern).replace(/\/$/, '')}/*`;
  }
  if (FIXED_PATHS.has(path)) return path;
  if (path.startsWith(ASSET_PREFIX)) return `${ASSET_PREFIX}:file`;
  return OTHER_ROUTE;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The request method, or `other` for anything a client made up. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'other';
}

/** 2xx, 3xx, 4xx, 5xx (1xx never reaches a Koa response; anything odd counts as 5xx). */
export function statusClass(status: number): '2xx' | '3xx' | '4xx' | '5xx' {
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 400 && status < 500) return '4xx';
  return '5xx';
}
