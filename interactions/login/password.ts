import { loginWithPassword } from '../../directory/password_login.ts';
import { loginRouteFor } from '../../directory/login_route.ts';
import { showSsoRequired } from './sso.ts';
import { ACR, AMR } from '../../mfa/assurance.ts';
import { renderPage } from '../render.ts';
import { PasswordForm, readForm } from '../forms.ts';
import { finishInteraction, type InteractionContext, type InteractionDeps } from '../context.ts';
import { showPasswordPage } from './email.ts';

/** One message for every failure, so the page never says whether the account exists. */
export const INVALID_CREDENTIALS = 'Incorrect email or password.';

export async function submitPassword(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const form = readForm(ctx, PasswordForm);
  if (!form.ok) {
    const email = typeof ctx.request.body === 'object' && ctx.request.body && 'email' in ctx.request.body ? String(ctx.request.body.email) : '';
    showPasswordPage(ctx, { email, error: form.message, status: 400 });
    return;
  }
  const { password } = form.value;
  const email = form.value.email.address;
  // Checked before the password is: an SSO domain's accounts never log in by password here.
  const route = await loginRouteFor(deps.directory, form.value.email);
  if (route.method === 'sso') {
    ctx.state.log.info({ event: 'login.password_refused_sso', companyId: route.company.id }, 'password refused for an SSO domain');
    showSsoRequired(ctx, route.company, email);
    return;
  }
  const result = await loginWithPassword(deps, { email, password, ip: ctx.ip });
  deps.metrics.logins.inc({ method: 'password', result: result.outcome });

  if (result.outcome === 'throttled') {
    const minutes = Math.max(1, Math.ceil(result.retryAfterSeconds / 60));
    ctx.set('Retry-After', String(result.retryAfterSeconds));
    renderPage(ctx, 'message', { title: 'Too many attempts', status: 429 }, {
      tone: 'error',
      message: `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    });
    return;
  }
  if (result.outcome === 'invalid') {
    ctx.state.log.info({ event: 'login.password_failed' }, 'password login failed');
    showPasswordPage(ctx, { email, error: INVALID_CREDENTIALS, status: 401 });
    return;
  }

  ctx.state.log.info({ event: 'login.password_ok', userId: result.user.id }, 'password login succeeded');
  await finishInteraction(ctx, {
    // ts from our clock, like the MFA step's, so every session time comes from one clock.
    login: { accountId: result.user.id, amr: [AMR.password], acr: ACR.singleFactor, remember: true, ts: Math.floor(deps.clock() / 1000) },
  });
}
