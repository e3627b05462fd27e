import { rawRequest } from './raw_http.ts';

/**
 * A minimal browser for flow tests and the benchmark: a cookie jar (name, value, path), manual
 * redirects, and form posts, over node:http with keep-alive (lighter than fetch, which matters when
 * the bench's driver shares two cores with the server). Requests go to `target`, which tests can
 * switch to another instance behind the same issuer, like a load balancer would: the Host header
 * stays the site's (`host`, the first target's by default), as a load balancer preserves it.
 */
export interface Page {
  status: number;
  location: string | undefined;
  body: string;
  headers: Headers;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

export class Browser {
  target: string;
  /** Sent with every request (e.g. a forged X-Forwarded-For). */
  readonly headers: Record<string, string> = {};
  /** The Host header of every request: the site this browser visits, wherever `target` points. */
  readonly host: string;
  readonly #cookies = new Map<string, Cookie>();

  constructor(target: string, host = new URL(target).host) {
    this.target = target;
    this.host = host;
  }

  get(pathOrUrl: string): Promise<Page> {
    return this.#request('GET', pathOrUrl);
  }

  post(path: string, form: Record<string, string>): Promise<Page> {
    return this.#request('POST', path, new URLSearchParams(form).toString());
  }

  /** The Cookie header this browser would send to `path`, for raw supertest requests. */
  cookieHeader(path: string): string {
    return [...this.#cookies.values()]
      .filter((c) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  async #request(method: string, pathOrUrl: string, body?: string): Promise<Page> {
    const url = new URL(pathOrUrl, this.target);
    const target = new URL(this.target);
    url.protocol = target.protocol;
    url.host = target.host;
    const headers: Record<string, string> = { accept: 'text/html', host: this.host, ...this.headers };
    const cookie = this.cookieHeader(url.pathname);
    if (cookie) headers['cookie'] = cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await rawRequest(url, method, url.pathname + url.search, headers, body);
    for (const line of res.headers.getSetCookie()) this.#store(line);
    return { status: res.status, location: res.headers.get('location') ?? undefined, body: res.body, headers: res.headers };
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = new Map(attributes.map((a) => {
      const i = a.indexOf('=');
      return i === -1 ? [a.toLowerCase(), ''] : [a.slice(0, i).toLowerCase(), a.slice(i + 1)];
    }));
    const expires = attr.get('expires');
    const expired = attr.get('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now()) || value === '';
    const path = attr.get('path') ?? '/';
    const key = `${name}|${path}`;
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, { name, value, path });
  }
}
