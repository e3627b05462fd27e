import { randomBytes } from 'node:crypto';
import { recoveryCodeRefusal, requestNewRecoveryCode } from '../../self_service/recovery.ts';
import type { SitePages } from '../first_party/routes.ts';
import { renderPage } from '../render.ts';
import { requestMeta } from '../request_meta.ts';
import { flowIdOf, SECURITY, type AccountContext, type AccountDeps } from './context.ts';
import { guardedMfaFlow } from './flow_helpers.ts';
import { showNewRecoveryCode } from './new_recovery_code.ts';

/**
 * Password & Security › Request New Code (self_service/recovery.ts). The step-up is the identity
 * check the docs ask for: the password, and a code by the method the user picks on "How Do You
 * Want to Verify Your Identity" when the last MFA is older than 15 minutes. A new code is issued
 * only by a POST carrying the one-time token of the confirmation page, taken atomically: a double
 * click issues one code, never two where the page would show the one the second voided.
 */

const REQUEST = `${SECURITY}/recovery-code`;
const TOKEN_SECONDS = 15 * 60;

/** GET …/recovery-code: "Request a New Recovery Code", once the user has proved it is them. */
async function showRequest(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  if (!(await guarded(ctx, deps))) return;
  const { userId, csrf } = ctx.state.signedIn.record;
  if ((await recoveryCodeRefusal(deps, userId)) === 'no_factor') {
    noFactor(ctx);
    return;
  }
  const [factors, token] = await Promise.all([deps.store.factorsOf(userId), newToken(ctx, deps)]);
  renderPage(ctx, 'account/recovery_request', { title: 'Request a New Recovery Code' }, { csrf, token, hasCode: factors.recoveryCode });
}

/** POST …/recovery-code: the overview's Request New Code lands on the confirmation; the confirmation's own post issues the code. */
async function request(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  if (!(await guarded(ctx, deps))) return;
  if (!(await takeToken(ctx, deps))) {
    ctx.status = 303;
    ctx.redirect(REQUEST);
    return;
  }
  const issued = await requestNewRecoveryCode(deps, ctx.state.signedIn.record.userId, requestMeta(ctx));
  if (issued.ok) {
    await showNewRecoveryCode(ctx, deps, issued.code);
    return;
  }
  switch (issued.reason) {
    case 'no_factor':
      noFactor(ctx);
      return;
    case 'idp_managed':
      ctx.throw(403, "Your multi-factor authentication is managed by your company's identity provider.");
      break;
    case 'no_user':
      ctx.throw(400, 'There is no signed-in user for this request.');
  }
}

/** The step-up first (it comes back to the confirmation page), then the IdP-managed refusal. */
function guarded(ctx: AccountContext, deps: AccountDeps): Promise<boolean> {
  return guardedMfaFlow(ctx, deps, REQUEST);
}

function noFactor(ctx: AccountContext): void {
  renderPage(ctx, 'message', { title: 'Set Up Two-Factor Authentication First', status: 409 }, {
    tone: 'error',
    message: 'A recovery code comes with two-factor authentication: add an authenticator app or a phone number, and you get one.',
    action: { href: SECURITY, label: 'Back to Password & Security' },
  });
}

/** A one-time token for this session's next request; a new page replaces the earlier token. */
async function newToken(ctx: AccountContext, deps: AccountDeps): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await deps.flow.set(tokenKey(ctx), { token }, TOKEN_SECONDS);
  return token;
}

/** True for exactly one request presenting the page's token (an atomic take, then a comparison). */
async function takeToken(ctx: AccountContext, deps: AccountDeps): Promise<boolean> {
  const sent = (ctx.request.body as Record<string, unknown> | undefined)?.['token'];
  if (typeof sent !== 'string' || sent === '') return false;
  const kept = await deps.flow.take(tokenKey(ctx));
  return kept?.['token'] === sent;
}

/** Named by a hash of the session id, never by the cookie's value. */
function tokenKey(ctx: AccountContext): string {
  return `account-recovery-request:${flowIdOf(ctx)}`;
}

export const recoveryCodePages: SitePages<AccountDeps> = {
  get: { '/security/recovery-code': showRequest },
  post: { '/security/recovery-code': request },
};
