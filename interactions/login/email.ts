import { loginRouteFor } from '../../directory/login_route.ts';
import { EmailForm, readForm } from '../forms.ts';
import { clientNameOf, requirePrompt, type InteractionContext } from '../context.ts';
import { renderPage } from '../../views/render.ts';

/** Step 1 of login: the email. Unknown emails continue exactly like known ones. */
export function showEmailPage(ctx: InteractionContext, extra: { email?: string; error?: string; status?: number } = {}): void {
  const { interaction } = ctx.state;
  const hint = typeof interaction.params['login_hint'] === 'string' ? interaction.params['login_hint'] : '';
  renderPage(ctx, 'login_email', { title: 'Log in', status: extra.status ?? 200 }, {
    uid: interaction.uid,
    email: extra.email ?? hint,
    error: extra.error,
    clientName: clientNameOf(ctx),
  });
}

export function submitEmail(ctx: InteractionContext): Promise<void> {
  requirePrompt(ctx, 'login');
  const form = readForm(ctx, EmailForm);
  if (!form.ok) {
    showEmailPage(ctx, { error: form.message, status: 400 });
    return Promise.resolve();
  }
  const route = loginRouteFor(form.value.email);
  switch (route.method) {
    case 'password':
      showPasswordPage(ctx, { email: form.value.email });
  }
  return Promise.resolve();
}

export function showPasswordPage(ctx: InteractionContext, data: { email: string; error?: string; status?: number }): void {
  renderPage(ctx, 'login_password', { title: 'Enter your password', status: data.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    email: data.email,
    error: data.error,
  });
}
