import { loginRouteFor } from '../../directory/login_route.ts';
import { parseEmailAddress } from '../../directory/email_address.ts';
import { startSso } from './sso.ts';
import { EmailForm, readForm } from '../forms.ts';
import type Provider from 'oidc-provider';
import { clientName, clientOf, type InteractionContext, type InteractionDeps } from '../context.ts';
import { renderPage } from '../render.ts';

/** Step 1 of login: the email. Unknown emails continue exactly like known ones. */
export async function showEmailPage(ctx: InteractionContext, provider: Provider, extra: { email?: string; error?: string; status?: number } = {}): Promise<void> {
  const { interaction } = ctx.state;
  const hint = typeof interaction.params['login_hint'] === 'string' ? interaction.params['login_hint'] : '';
  renderPage(ctx, 'login/login_email', { title: 'Log in', status: extra.status ?? 200 }, {
    uid: interaction.uid,
    email: extra.email ?? hint,
    error: extra.error,
    clientName: clientName(await clientOf(ctx, provider)),
  });
}

export async function submitEmail(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const form = readForm(ctx, EmailForm);
  if (!form.ok) {
    await showEmailPage(ctx, deps.provider, { error: form.message, status: 400 });
    return;
  }
  const route = await loginRouteFor(deps.directory, form.value.email);
  switch (route.method) {
    case 'password':
      showPasswordPage(ctx, { email: form.value.email.address });
      return;
    case 'sso':
      await startSso(ctx, deps, route.company, form.value.email.address);
  }
}

/**
 * The login step. A browser session that must log in again (max_age, prompt=login, a re-verification)
 * and whose account signs in through its company's IdP goes straight there; anyone else gets the email page.
 */
export async function showLoginStep(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const accountId = ctx.state.interaction.session?.accountId;
  const user = accountId === undefined ? undefined : await deps.directory.findUser(accountId);
  const parsed = user ? parseEmailAddress(user.email) : undefined;
  const route = parsed?.ok ? await loginRouteFor(deps.directory, parsed.email) : undefined;
  if (route?.method === 'sso' && parsed?.ok) await startSso(ctx, deps, route.company, parsed.email.address);
  else await showEmailPage(ctx, deps.provider);
}

export function showPasswordPage(ctx: InteractionContext, data: { email: string; error?: string; status?: number }): void {
  renderPage(ctx, 'login/login_password', { title: 'Enter your password', status: data.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    email: data.email,
    error: data.error,
  });
}
