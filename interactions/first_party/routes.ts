import Router from '@koa/router';
import type { Middleware } from 'koa';
import { formBody } from '../forms.ts';
import { renderPage } from '../render.ts';
import { signInCallback, signOut } from './callback.ts';
import type { FirstPartyContext, FirstPartyDeps, FirstPartyState } from './context.ts';
import { checkCsrf, requireSignIn } from './guard.ts';

export type SiteHandler<D> = (ctx: FirstPartyContext, deps: D) => Promise<void>;

/** A site's pages: GETs, and POSTs (form bodies, CSRF checked before the handler runs). */
export interface SitePages<D> {
  get: Record<string, SiteHandler<D>>;
  post: Record<string, SiteHandler<D>>;
}

/**
 * Mounts a first-party site under its base path: the open sign-in pages (callback, signed out), then
 * every page behind a signed-in user, each POST behind its CSRF token, and the logout.
 */
export function firstPartyRoutes<D extends FirstPartyDeps>(deps: D, pages: SitePages<D>): Middleware {
  const { basePath, label } = deps.site;
  const open = new Router({ prefix: basePath });
  open.get('/callback', (ctx) => signInCallback(ctx, deps));
  open.get('/signed-out', (ctx) => {
    renderPage(ctx, 'message', { title: 'Signed out' }, { message: `You have signed out of ${label}.`, action: { href: basePath, label: 'Sign in again' } });
  });

  const signedIn = new Router<FirstPartyState>({ prefix: basePath });
  signedIn.use(requireSignIn(deps));
  for (const [path, handle] of Object.entries(pages.get)) signedIn.get(path, (ctx) => handle(ctx, deps));
  const post = (path: string, handle: SiteHandler<D>): void => {
    signedIn.post(path, (ctx) =>
      formBody(ctx, async () => {
        if (checkCsrf(ctx, deps)) await handle(ctx, deps);
      }),
    );
  };
  for (const [path, handle] of Object.entries(pages.post)) post(path, handle);
  post('/logout', (ctx) => signOut(ctx, deps, ctx.state.signedIn.sessionId, ctx.state.signedIn.record.idToken));

  // @koa/router types its middleware for its own context; Koa calls it with a plain one.
  const [first, second] = [open.routes(), signedIn.routes()] as [Middleware, Middleware];
  return async (ctx, next) => {
    if (ctx.path === basePath || ctx.path.startsWith(`${basePath}/`)) await first(ctx, () => second(ctx, next) as Promise<void>);
    else await next();
  };
}
