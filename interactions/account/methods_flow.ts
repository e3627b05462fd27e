import { z } from 'zod';
import { isMethodId, type MethodId } from '../../mfa/registry.ts';
import { MethodSettings, type RemovalRefusal } from '../../self_service/methods.ts';
import type { SitePages } from '../first_party/routes.ts';
import { readForm } from '../forms.ts';
import { requestMeta } from '../request_meta.ts';
import { SECURITY, type AccountContext, type AccountDeps } from './context.ts';
import { backWithNotice, guardedMfaFlow, message } from './flow_helpers.ts';

/**
 * Password & Security › Remove (a method) and Make preferred (self_service/methods.ts): the page's
 * own buttons post here. Each asks for the step-up first (a re-verification comes back to the page,
 * where the button is pressed again) and refuses accounts whose MFA the company's IdP runs.
 */

const MethodForm = z.object({ method: z.custom<MethodId>(isMethodId) });

export function methodPages(deps: AccountDeps): SitePages<AccountDeps> {
  const settings = new MethodSettings(deps);
  return {
    get: {},
    post: {
      '/security/methods/remove': (ctx, d) => remove(ctx, d, settings),
      '/security/methods/preferred': (ctx, d) => prefer(ctx, d, settings),
    },
  };
}

/** POST …/methods/remove {method}. */
async function remove(ctx: AccountContext, deps: AccountDeps, settings: MethodSettings): Promise<void> {
  const method = await guardedMethod(ctx, deps);
  if (method === undefined) return;
  const label = deps.mfa.method(method).label;
  const outcome = await settings.remove(ctx.state.signedIn.record.userId, method, requestMeta(ctx));
  if (outcome.ok) {
    const text = outcome.lastFactor
      ? `${label} was removed. It was your last method: two-factor authentication is off, and your recovery code was removed with it.`
      : `${label} was removed.${outcome.preferred ? ` ${deps.mfa.method(outcome.preferred).label} is your preferred method.` : ''}`;
    await backWithNotice(ctx, deps, text);
    return;
  }
  refuseRemoval(ctx, outcome.reason, label);
}

function refuseRemoval(ctx: AccountContext, reason: RemovalRefusal, label: string): void {
  switch (reason) {
    case 'last_factor_required':
      message(ctx, 409, 'This Method Cannot Be Removed', `${label} is the only two-factor method you can sign in with, and two-factor authentication is required for your account, so it cannot be removed. Add another method first, then remove this one.`);
      return;
    case 'not_enrolled':
      message(ctx, 409, 'Nothing to Remove', `${label} is not set up on your account.`);
      return;
    case 'stale':
      message(ctx, 409, 'Nothing Was Changed', 'Your sign-in methods changed while you were doing this, so nothing was removed. Look at the page again, then try again.');
      return;
    case 'idp_managed':
      ctx.throw(403, "Your multi-factor authentication is managed by your company's identity provider.");
      break;
    case 'no_user':
      ctx.throw(400, 'There is no signed-in user for this request.');
  }
}

/** POST …/methods/preferred {method}: the default on "How Do You Want to Verify Your Identity". */
async function prefer(ctx: AccountContext, deps: AccountDeps, settings: MethodSettings): Promise<void> {
  const method = await guardedMethod(ctx, deps);
  if (method === undefined) return;
  const label = deps.mfa.method(method).label;
  const outcome = await settings.prefer(ctx.state.signedIn.record.userId, method);
  if (outcome.ok) {
    await backWithNotice(ctx, deps, `${label} is now your preferred method: it is selected first when you verify your identity. Your other methods still work.`);
    return;
  }
  switch (outcome.reason) {
    case 'not_usable':
      message(ctx, 409, 'Cannot Be Preferred', `${label} is not a method you can sign in with now. Set it up first.`);
      return;
    case 'idp_managed':
      ctx.throw(403, "Your multi-factor authentication is managed by your company's identity provider.");
      break;
    case 'no_user':
      ctx.throw(400, 'There is no signed-in user for this request.');
  }
}

/** The step-up, then no IdP-run MFA, then the posted method; undefined when the response is already made. */
async function guardedMethod(ctx: AccountContext, deps: AccountDeps): Promise<MethodId | undefined> {
  if (!(await guardedMfaFlow(ctx, deps, SECURITY))) return undefined;
  const form = readForm(ctx, MethodForm);
  if (!form.ok) {
    message(ctx, 400, 'Unknown Method', 'Choose one of the methods on the page.');
    return undefined;
  }
  return form.value.method;
}

