import { loginRouteFor } from '../../directory/login_route.ts';
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
  const route = loginRouteFor(form.value.email);
  switch (route.method) {
    case 'password':
      showPasswordPage(ctx, { email: form.value.email.address });
  }
}

export function showPasswordPage(ctx: InteractionContext, data: { email: string; error?: string; status?: number }): void {
  renderPage(ctx, 'login/login_password', { title: 'Enter your password', status: data.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    email: data.email,
    error: data.error,
  });
}
