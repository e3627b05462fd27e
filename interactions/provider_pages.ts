import { errors, type Configuration, type ErrorOut, type KoaContextWithOIDC } from 'oidc-provider';
import { errorPageFor, renderErrorPage } from './middleware/error_pages.ts';
import { renderPage } from './render.ts';

/**
 * oidc-provider's own HTML: error pages and the logout screens, in our layout.
 * An OAuth error keeps oidc-provider's status and its public description; anything else (a store
 * outage, a bug) goes through the same mapping as our routes, so Redis down shows a 503 page.
 */
export function renderError(ctx: KoaContextWithOIDC, out: ErrorOut, error: errors.OIDCProviderError | Error): void {
  if (error instanceof errors.SessionNotFound || !(error instanceof errors.OIDCProviderError)) {
    renderErrorPage(ctx, errorPageFor(error));
    return;
  }
  renderErrorPage(ctx, {
    status: ctx.status,
    title: isLogout(ctx) ? 'We could not sign you out' : 'We could not sign you in',
    message: out.error_description ?? out.error,
    action: { href: '/', label: 'Start again' },
  });
}

/** The logout endpoint and its confirmation and success steps (`/session/end*`), by oidc-provider's route names. */
function isLogout(ctx: KoaContextWithOIDC): boolean {
  const route = (ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.route;
  return route === 'end_session' || route === 'end_session_confirm' || route === 'end_session_success';
}

export const logoutPages: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']> = {
  enabled: true,
  logoutSource(ctx, form) {
    const client = ctx.oidc.client;
    renderPage(ctx, 'logout_confirm', { title: 'Log out' }, { form, clientName: client?.clientName ?? client?.clientId });
  },
  postLogoutSuccessSource(ctx) {
    renderPage(ctx, 'message', { title: 'You are logged out' }, {
      message: 'You have been logged out. You can close this window.',
    });
  },
};
