import { z } from 'zod';
import { PasswordSelfService } from '../../self_service/password.ts';
import { MAX_LENGTH } from '../../self_service/password_rules.ts';
import { theme } from '../../views/theme.ts';
import type { SitePages } from '../first_party/routes.ts';
import { readForm } from '../forms.ts';
import { renderPage } from '../render.ts';
import { requestMeta } from '../request_meta.ts';
import { SECURITY, type AccountContext, type AccountDeps } from './context.ts';
import { backWithNotice, keptSession } from './flow_helpers.ts';
import { requireStepUp } from './step_up.ts';

/**
 * Password & Security › Change Password (self_service/password.ts). An account without a password
 * here (it signs in through its company's IdP) is refused before the step-up: re-authenticating at
 * the IdP only to be told there is nothing to change helps no one, and the overview already says so.
 * Everyone else proves it is them first (the step-up), then enters the current and the new password.
 */

const PASSWORD = `${SECURITY}/password`;
/** The new password's bound is far above the rule's, which says why a longer one is refused; this one only caps the work. */
const ChangeForm = z.object({
  current_password: z.string().min(1, 'Enter your current password.').max(1024, 'That password is too long.'),
  new_password: z.string().max(4096, `Use at most ${MAX_LENGTH} characters.`),
});

export function passwordPages(deps: AccountDeps): SitePages<AccountDeps> {
  const service = new PasswordSelfService({ ...deps, productName: theme.productName });
  return {
    get: { '/security/password': (ctx, d) => showForm(ctx, d, service) },
    post: { '/security/password': (ctx, d) => change(ctx, d, service) },
  };
}

/** GET …/password: the form, after the step-up. */
async function showForm(ctx: AccountContext, deps: AccountDeps, service: PasswordSelfService): Promise<void> {
  const start = await service.start(ctx.state.signedIn.record.userId);
  if (!start.ok) {
    refuse(ctx, start.reason);
    return;
  }
  if (!(await requireStepUp(ctx, deps, PASSWORD))) return;
  form(ctx, start.minLength);
}

/** POST …/password: the change; a refusal shows the form again with why. */
async function change(ctx: AccountContext, deps: AccountDeps, service: PasswordSelfService): Promise<void> {
  const { userId } = ctx.state.signedIn.record;
  const start = await service.start(userId);
  if (!start.ok) {
    refuse(ctx, start.reason);
    return;
  }
  if (!(await requireStepUp(ctx, deps, PASSWORD))) return;
  const posted = readForm(ctx, ChangeForm);
  if (!posted.ok) {
    form(ctx, start.minLength, { status: 400, message: posted.message });
    return;
  }
  const keep = keptSession(ctx);
  const outcome = await service.change(userId, { current: posted.value.current_password, next: posted.value.new_password }, requestMeta(ctx), keep);
  if (outcome.ok) {
    await backWithNotice(ctx, deps, 'Your password was changed. Your other sessions were signed out.');
    return;
  }
  switch (outcome.reason) {
    case 'wrong_password':
      form(ctx, start.minLength, { status: 401, message: 'Your current password is not correct.' });
      return;
    case 'throttled':
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      form(ctx, start.minLength, { status: 429, message: 'Too many attempts. Wait a few minutes, then try again.' });
      return;
    case 'same_as_current':
      form(ctx, start.minLength, { status: 400, message: 'Choose a password different from your current one.' });
      return;
    case 'refused':
      form(ctx, start.minLength, { status: 400, message: outcome.message });
      return;
    case 'stale':
      renderPage(ctx, 'message', { title: 'Nothing Was Changed', status: 409 }, { tone: 'error', message: 'Your password was changed elsewhere while you were doing this. Sign in with the new one, then try again if you need to.', action: { href: SECURITY, label: 'Back to Password & Security' } });
      return;
    case 'no_password':
    case 'no_user':
      refuse(ctx, outcome.reason);
  }
}

function form(ctx: AccountContext, minLength: number, error?: { status: number; message: string }): void {
  renderPage(ctx, 'account/password_change', { title: 'Change Password', status: error?.status ?? 200 }, { csrf: ctx.state.signedIn.record.csrf, minLength, error: error?.message });
}

function refuse(ctx: AccountContext, reason: 'no_user' | 'no_password'): void {
  if (reason === 'no_user') ctx.throw(400, 'There is no signed-in user for this request.');
  renderPage(ctx, 'message', { title: 'No Password to Change', status: 403 }, {
    tone: 'error',
    message: "You sign in through your company's identity provider: there is no password here. Change it where your company manages it.",
    action: { href: SECURITY, label: 'Back to Password & Security' },
  });
}
