import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { CompactSign, decodeJwt, decodeProtectedHeader } from 'jose';
import type { Context, Next } from 'koa';
import Provider, { type Adapter, type AdapterFactory, type AdapterPayload, type InteractionResults, type JWK } from 'oidc-provider';
import type { Browser, Page } from './browser.ts';

/**
 * A company's own identity provider, for the upstream-SSO tests: a second, real oidc-provider on a
 * loopback port, with its own users, signing key and a plain HTML login form that tests drive over
 * HTTP with a Browser (test/helpers/browser.ts) pointed at this origin. Nothing about OIDC is mocked:
 * our IdP talks to it as a relying party exactly as it would to a customer's Entra ID or Okta.
 *
 * The knobs tests need and a real IdP does not have: `authorizationRequests` (what our RP sent),
 * `tamperIdToken` (a misbehaving or malicious IdP) and `stop`/`restart` (an IdP that is down).
 */

export interface UpstreamUser {
  sub: string;
  email: string;
  emailVerified: boolean;
  password: string;
  /** The login form's user name, the key of `UpstreamIdp.users`; the email when left out. */
  username?: string;
  /** The `name` claim (scope profile), when set. */
  name?: string;
}

export interface UpstreamClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface UpstreamIdp {
  /** http://127.0.0.1:<port> */
  issuer: string;
  port: number;
  /** The oidc-provider instance, for what the knobs below do not cover (e.g. ending a session). */
  provider: Provider;
  /** Keyed by login name (the form's `username`). Tests may mutate users: every ID token reads them afresh. */
  users: Map<string, UpstreamUser>;
  /** The query of every authorization request received (GET /auth), newest last. */
  authorizationRequests: URLSearchParams[];
  /**
   * Rewrites the claims of every ID token the token endpoint returns while set, re-signed with this
   * IdP's own key and kid (so only the claims are wrong, never the signature). undefined = untouched.
   */
  tamperIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | undefined;
  /** Closes the server and its connections: the port refuses connections until `restart`. */
  stop(): Promise<void>;
  /** Listens again on the same port, with the same keys, clients, users and sessions. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface StartUpstreamOptions {
  clients: UpstreamClient[];
  users: UpstreamUser[];
  /** A fixed port; a free one otherwise. */
  port?: number;
}

export const UPSTREAM_ACR = { pwd: 'urn:upstream:pwd', mfa: 'urn:upstream:mfa' } as const;

const ALG = 'RS256';
const INTERACTION = /^\/interaction\/([\w-]+)(?:\/(login|cancel))?$/;

export async function startUpstreamIdp(options: StartUpstreamOptions): Promise<UpstreamIdp> {
  // The port comes first because the issuer (and so the provider) is named after it.
  let server = await listen(options.port ?? 0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const port = address.port;
  const issuer = `http://127.0.0.1:${port}`;

  const users = new Map(options.users.map((u) => [u.username ?? u.email, u]));
  // One key per instance, kept across restarts: a restart is the same IdP coming back, not a rotation.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `upstream-${randomBytes(4).toString('hex')}`;
  const jwk: JWK = { ...privateKey.export({ format: 'jwk' }), kid, alg: ALG, use: 'sig' };

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(),
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      // openid-client's default for a bare secret; oidc-provider also takes client_secret_basic from a secret client.
      token_endpoint_auth_method: 'client_secret_post',
    })),
    findAccount: (_ctx, id) => {
      const user = [...users.values()].find((u) => u.sub === id);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        claims: () => ({ sub: user.sub, email: user.email, email_verified: user.emailVerified, ...(user.name ? { name: user.name } : {}) }),
      };
    },
    jwks: { keys: [jwk] },
    cookies: { keys: ['upstream-cookie-key-0123456789abcdefghij'] },
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile'],
    // acr, amr and auth_time in every ID token, not only when asked for: our RP reads them from there.
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    // Scope claims (email) go into the ID token too, not only to userinfo: our RP reads only the ID token.
    conformIdTokenClaims: false,
    acrValues: [UPSTREAM_ACR.pwd, UPSTREAM_ACR.mfa],
    features: { devInteractions: { enabled: false } },
    // Set only to silence oidc-provider's notices about default lifetimes.
    ttl: { AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, Interaction: 3600, Session: 86400, Grant: 86400 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  provider.proxy = false;

  const idp: UpstreamIdp = {
    issuer,
    port,
    provider,
    users,
    authorizationRequests: [],
    tamperIdToken: undefined,
    stop: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
    restart: async () => {
      await idp.stop();
      server = await listen(port);
      serve(server, provider);
    },
    close: () => idp.stop(),
  };

  // Mounted with provider.use, so they run before oidc-provider's own routes.
  provider.use(recordAuthorizationRequests(idp));
  provider.use(tamperIdTokens(idp, privateKey));
  provider.use(interactions(provider, users));
  serve(server, provider);
  return idp;
}

async function listen(port: number): Promise<Server> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function serve(server: Server, provider: Provider): void {
  const handle = provider.callback();
  server.on('request', (req, res) => {
    void handle(req, res);
  });
}

function recordAuthorizationRequests(idp: UpstreamIdp) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path === '/auth' && ctx.method === 'GET') idp.authorizationRequests.push(new URLSearchParams(ctx.querystring));
    await next();
  };
}

function tamperIdTokens(idp: UpstreamIdp, privateKey: KeyObject) {
  return async (ctx: Context, next: Next): Promise<void> => {
    await next();
    const tamper = idp.tamperIdToken;
    // oidc-provider leaves the token response as an object; koa serializes it after this returns.
    const body: unknown = ctx.body;
    if (!tamper || ctx.path !== '/token' || ctx.status !== 200 || !isRecord(body) || typeof body['id_token'] !== 'string') return;
    const original = body['id_token'];
    const header = decodeProtectedHeader(original);
    const claims = tamper(decodeJwt(original));
    body['id_token'] = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ ...header, alg: header.alg ?? ALG })
      .sign(privateKey);
  };
}

/**
 * The login form and automatic consent at /interaction/<uid> (GET: the current prompt; POST
 * .../login and .../cancel). oidc-provider decides when to log in again (prompt=login, max_age):
 * this only answers the prompt it is given.
 */
function interactions(provider: Provider, users: Map<string, UpstreamUser>) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const match = INTERACTION.exec(ctx.path);
    if (!match) {
      await next();
      return;
    }
    const [, uid, action] = match;
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== uid) ctx.throw(400, 'not the current interaction');
    const { prompt, params } = interaction;
    const clientId = String(params['client_id']);
    const finish = async (result: InteractionResults, merge = true): Promise<void> => {
      ctx.status = 303;
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge }));
    };

    if (ctx.method === 'POST' && action === 'cancel') {
      await finish({ error: 'access_denied', error_description: 'End-User cancelled the sign-in' }, false);
      return;
    }
    if (prompt.name === 'consent') {
      // No consent screen: grant whatever is missing, as a company IdP does for its own apps.
      const grant = interaction.grantId
        ? await provider.Grant.find(interaction.grantId)
        : new provider.Grant({ clientId, accountId: interaction.session?.accountId ?? '' });
      if (!grant) ctx.throw(400, 'grant not found');
      const { missingOIDCScope, missingOIDCClaims } = prompt.details;
      if (Array.isArray(missingOIDCScope)) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (Array.isArray(missingOIDCClaims)) grant.addOIDCClaims(missingOIDCClaims.map(String));
      await finish({ consent: { grantId: await grant.save() } });
      return;
    }
    if (prompt.name !== 'login') ctx.throw(400, `unexpected prompt ${prompt.name}`);

    const loginHint = typeof params['login_hint'] === 'string' ? params['login_hint'] : '';
    if (ctx.method === 'GET' && action === undefined) {
      loginPage(ctx, uid ?? '', clientId, loginHint, undefined);
      return;
    }
    if (ctx.method !== 'POST' || action !== 'login') ctx.throw(405);
    const form = await readForm(ctx.req);
    const username = form.get('username') ?? '';
    const user = users.get(username);
    if (!user || user.password !== form.get('password')) {
      ctx.status = 401;
      loginPage(ctx, uid ?? '', clientId, username, 'Wrong user name or password.');
      return;
    }
    const mfa = form.has('mfa');
    await finish({
      login: { accountId: user.sub, acr: mfa ? UPSTREAM_ACR.mfa : UPSTREAM_ACR.pwd, amr: mfa ? ['pwd', 'otp', 'mfa'] : ['pwd'], remember: true },
    });
  };
}

function loginPage(ctx: Context, uid: string, clientId: string, username: string, error: string | undefined): void {
  ctx.type = 'html';
  ctx.body = `<!doctype html>
<html><head><title>Upstream sign-in</title></head><body>
<h1>Sign in to ${html(clientId)}</h1>
${error ? `<p class="error">${html(error)}</p>` : ''}
<form method="post" action="/interaction/${html(uid)}/login">
  <input name="username" value="${html(username)}" autocomplete="username">
  <input name="password" type="password" autocomplete="current-password">
  <label><input type="checkbox" name="mfa" value="yes"> I used my second factor</label>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${html(uid)}/cancel"><button type="submit">Cancel</button></form>
</body></html>`;
}

/**
 * Drives the login form from an authorization URL (as our IdP redirected the browser to it): follows
 * redirects on the upstream origin, submits the form (or presses Cancel) and returns the redirect that
 * leaves the upstream (the redirect_uri with code/state/iss, or with an error). `mfa: true` ticks the
 * second-factor box: amr ["pwd","otp","mfa"], acr urn:upstream:mfa; otherwise amr ["pwd"], acr
 * urn:upstream:pwd. Throws when no login form is shown (an existing upstream session answered: use
 * `followUpstream`), or when the form refuses the credentials (401).
 */
export async function loginUpstream(
  browser: Browser,
  authorizationUrl: string,
  login: { username: string; password: string; mfa?: boolean } | { cancel: true },
): Promise<string> {
  const origin = new URL(authorizationUrl).origin;
  const { leaving, page } = await follow(browser, origin, await browser.get(authorizationUrl));
  if (leaving !== undefined) throw new Error(`the upstream showed no login form and redirected to ${leaving}`);
  const loginAction = /action="([^"]*\/login)"/.exec(page.body)?.[1];
  const cancelAction = /action="([^"]*\/cancel)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !loginAction || !cancelAction) {
    throw new Error(`expected the upstream login form, got ${page.status}: ${page.body.slice(0, 300)}`);
  }
  const submitted =
    'cancel' in login
      ? await browser.post(cancelAction, {})
      : await browser.post(loginAction, { username: login.username, password: login.password, ...(login.mfa ? { mfa: 'yes' } : {}) });
  if (submitted.status !== 303) throw new Error(`the upstream refused the login form: ${submitted.status}`);
  return leave(browser, origin, submitted);
}

/** Follows an authorization URL through the upstream without logging in (an existing upstream session, or an error redirect); returns the redirect that leaves it. */
export async function followUpstream(browser: Browser, authorizationUrl: string): Promise<string> {
  return leave(browser, new URL(authorizationUrl).origin, await browser.get(authorizationUrl));
}

async function leave(browser: Browser, origin: string, page: Page): Promise<string> {
  const { leaving, page: last } = await follow(browser, origin, page);
  if (leaving === undefined) throw new Error(`the upstream stopped at a page instead of redirecting back: ${last.status}: ${last.body.slice(0, 300)}`);
  return leaving;
}

/** Follows redirects while they stay on `origin`; `leaving` is the first one that does not. */
async function follow(browser: Browser, origin: string, page: Page): Promise<{ leaving?: string; page: Page }> {
  let current = page;
  for (let hops = 0; hops < 10; hops++) {
    if (current.status < 300 || current.status >= 400 || current.location === undefined) return { page: current };
    const next = new URL(current.location, origin);
    if (next.origin !== origin) return { leaving: next.href, page: current };
    current = await browser.get(next.href);
  }
  throw new Error('too many redirects on the upstream');
}

/**
 * oidc-provider's own memory adapter is process-wide (one LRU shared by every instance, our IdP's
 * tests included) and warns on startup; this one belongs to one upstream and lives as long as it.
 * Payloads are copied in and out, as a real store serializes them.
 */
function memoryAdapter(): AdapterFactory {
  const store = new Map<string, { payload: AdapterPayload; expiresAt: number | undefined }>();
  const live = (key: string): AdapterPayload | undefined => {
    const entry = store.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) store.delete(key);
    const payload = store.get(key)?.payload;
    return payload && structuredClone(payload);
  };
  return (model: string): Adapter => {
    const key = (id: string): string => `${model}:${id}`;
    const inModel = (): AdapterPayload[] => {
      const found: AdapterPayload[] = [];
      for (const k of store.keys()) {
        const payload = k.startsWith(`${model}:`) ? live(k) : undefined;
        if (payload) found.push(payload);
      }
      return found;
    };
    return {
      upsert: (id, payload, expiresIn) => {
        store.set(key(id), { payload: structuredClone(payload), expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
        return Promise.resolve();
      },
      find: (id) => Promise.resolve(live(key(id))),
      findByUid: (uid) => Promise.resolve(inModel().find((p) => p.uid === uid)),
      findByUserCode: (userCode) => Promise.resolve(inModel().find((p) => p.userCode === userCode)),
      consume: (id) => {
        const entry = live(key(id)) && store.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
        return Promise.resolve();
      },
      destroy: (id) => {
        store.delete(key(id));
        return Promise.resolve();
      },
      revokeByGrantId: (grantId) => {
        for (const [k, entry] of store) if (entry.payload.grantId === grantId) store.delete(k);
        return Promise.resolve();
      },
    };
  };
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.from(chunk as Uint8Array));
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
