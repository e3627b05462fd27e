import { randomBytes } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import type { Middleware } from 'koa';
import * as oidc from 'openid-client';
import { toClientMetadata } from '../../provider/clients.ts';
import { renderPage } from '../render.ts';

/**
 * A tiny relying app inside the development server, so `npm start` can show a whole login in a
 * browser and the resulting ID token claims. It is never mounted in production.
 * `/demo` logs in as a first-party app (no consent); `/demo/partner` as a third-party app (consent).
 */
const DEMO_SECRET = 'demo-secret-not-for-production-use';
const APPS = {
  'demo-app': { path: '/demo', name: 'Demo App', firstParty: true },
  'demo-partner': { path: '/demo/partner', name: 'Partner Demo App', firstParty: false },
} as const;
type DemoClientId = keyof typeof APPS;
const COOKIE = 'demo_rp';

export function demoClients(issuer: string): ClientMetadata[] {
  return (Object.keys(APPS) as DemoClientId[]).map((clientId) =>
    toClientMetadata({
      client_id: clientId,
      client_secret: DEMO_SECRET,
      client_name: APPS[clientId].name,
      redirect_uris: [`${issuer}/demo/callback`],
      post_logout_redirect_uris: [`${issuer}/demo`],
      first_party: APPS[clientId].firstParty,
    }),
  );
}

export function demoRoutes(issuer: string): Middleware {
  const configs = new Map<DemoClientId, Promise<oidc.Configuration>>();
  const configFor = (clientId: DemoClientId): Promise<oidc.Configuration> => {
    let config = configs.get(clientId);
    if (!config) {
      config = oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(DEMO_SECRET), issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {});
      config.catch(() => configs.delete(clientId));
      configs.set(clientId, config);
    }
    return config;
  };

  return async (ctx, next) => {
    const start = (Object.keys(APPS) as DemoClientId[]).find((id) => APPS[id].path === ctx.path);
    if (ctx.method === 'GET' && start) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = randomBytes(16).toString('base64url');
      ctx.cookies.set(COOKIE, JSON.stringify({ verifier, state, clientId: start }), { signed: true, httpOnly: true, sameSite: 'lax', path: '/demo' });
      const url = oidc.buildAuthorizationUrl(await configFor(start), {
        redirect_uri: `${issuer}/demo/callback`,
        scope: 'openid email profile offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        ...(APPS[start].firstParty ? {} : { prompt: 'consent' }),
      });
      ctx.redirect(url.href);
      return;
    }
    if (ctx.method === 'GET' && ctx.path === '/demo/callback') {
      const saved = parseCookie(ctx.cookies.get(COOKIE, { signed: true }));
      if (!saved) {
        ctx.redirect('/demo');
        return;
      }
      ctx.cookies.set(COOKIE, null, { path: '/demo' });
      const config = await configFor(saved.clientId);
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, new URL(ctx.href.replace(ctx.origin, issuer)), {
          pkceCodeVerifier: saved.verifier,
          expectedState: saved.state,
        });
      } catch (err) {
        renderPage(ctx, 'message', { title: 'Demo login did not complete', status: 400 }, {
          tone: 'error',
          message: err instanceof Error ? err.message : 'unknown error',
          action: { href: '/demo', label: 'Try again' },
        });
        return;
      }
      const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: `${issuer}/demo` });
      renderPage(ctx, 'demo/demo_result', { title: 'Logged in' }, { claims: JSON.stringify(tokens.claims(), null, 2), logoutUrl: logout.href });
      return;
    }
    await next();
  };
}

function parseCookie(raw: string | undefined): { verifier: string; state: string; clientId: DemoClientId } | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as { verifier?: unknown; state?: unknown; clientId?: unknown };
    if (typeof value.verifier !== 'string' || typeof value.state !== 'string' || !(typeof value.clientId === 'string' && value.clientId in APPS)) return undefined;
    return { verifier: value.verifier, state: value.state, clientId: value.clientId as DemoClientId };
  } catch {
    return undefined;
  }
}
