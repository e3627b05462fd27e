import Router from '@koa/router';
import type { Middleware } from 'koa';
import { renderPage } from '../render.ts';
import { formBody } from '../forms.ts';
import { showAudit } from './audit_page.ts';
import { consoleCallback, consoleLogout } from './callback.ts';
import type { ConsoleContext, ConsoleDeps, ConsoleState } from './context.ts';
import { checkCsrf, requireAdmin } from './guard.ts';
import { saveMfaSettings, showMfaSettings } from './mfa_page.ts';
import { renderConsole } from './render.ts';
import { showReset, submitReset } from './reset_page.ts';

const COMPANY = '/companies/:companyId';

/**
 * The company admin console under /admin (Company Admin › Security Settings › MFA, and the audit
 * trail). The sign-in pages are open; every other page needs a signed-in admin (guard.ts), and each
 * company page checks the admin's access to that company (admin/service.ts).
 */
export function adminConsoleRoutes(deps: ConsoleDeps): Middleware {
  const open = new Router({ prefix: '/admin' });
  open.get('/callback', (ctx) => consoleCallback(ctx, deps));
  open.get('/signed-out', (ctx) => {
    renderPage(ctx, 'message', { title: 'Signed out' }, { message: 'You have signed out of the admin console.', action: { href: '/admin', label: 'Sign in again' } });
  });

  const console = new Router<ConsoleState>({ prefix: '/admin' });
  console.use(requireAdmin(deps));
  const post = (path: string, handle: (ctx: ConsoleContext, deps: ConsoleDeps) => Promise<void>): void => {
    console.post(path, (ctx) => formBody(ctx, () => handle(ctx, deps)));
  };
  console.get('/', (ctx) => companyList(ctx, deps));
  console.get(`${COMPANY}/security/mfa`, (ctx) => showMfaSettings(ctx, deps));
  post(`${COMPANY}/security/mfa`, saveMfaSettings);
  console.get(`${COMPANY}/security/mfa/reset`, (ctx) => showReset(ctx, deps));
  post(`${COMPANY}/security/mfa/reset`, submitReset);
  console.get(`${COMPANY}/audit`, (ctx) => showAudit(ctx, deps));
  post('/logout', async (ctx) => {
    if (!checkCsrf(ctx)) return;
    await consoleLogout(ctx, deps, ctx.state.admin.sessionId, ctx.state.admin.record.idToken);
  });

  // @koa/router types its middleware for its own context; Koa calls it with a plain one.
  const routes = [open.routes(), console.routes()] as Middleware[];
  const [first, second] = routes as [Middleware, Middleware];
  return async (ctx, next) => {
    if (ctx.path === '/admin' || ctx.path.startsWith('/admin/')) await first(ctx, () => second(ctx, next) as Promise<void>);
    else await next();
  };
}

/** /admin: the admin's companies; with exactly one, straight to its MFA tab. */
async function companyList(ctx: ConsoleContext, deps: ConsoleDeps): Promise<void> {
  const companies = await deps.admin.companiesOf(ctx.state.admin.record.userId);
  const [only] = companies;
  if (companies.length === 1 && only) {
    ctx.redirect(`/admin/companies/${encodeURIComponent(only.company.id)}/security/mfa`);
    return;
  }
  await renderConsole(ctx, deps, 'admin/companies', 'Company Admin', { companies });
}
