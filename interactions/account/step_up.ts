import { join } from 'node:path';
import { z } from 'zod';
import { loginWithPassword } from '../../directory/password_login.ts';
import type { MfaMethod } from '../../mfa/factor.ts';
import { isMethodId, type MethodId } from '../../mfa/registry.ts';
import type { ChallengeScreenRequest, OtherWay, ScreenResult } from '../../mfa/screens.ts';
import type { AttemptContext } from '../../mfa/service.ts';
import { readForm } from '../forms.ts';
import { renderPage } from '../render.ts';
import type { SitePages } from '../first_party/routes.ts';
import { startSignIn } from '../first_party/guard.ts';
import type { ActionOutcome } from '../first_party/context.ts';
import { flowIdOf, SECURITY, type AccountContext, type AccountDeps } from './context.ts';

/**
 * Before any change, the user proves it is them again (manage-your-own-mfa-settings.txt: "Enter your
 * password and click Continue"): the password, re-entered, and, when they have a second factor, a
 * verification with the method they pick. Each counts for `stepUpSeconds` (15 minutes). Accounts
 * without a password here (SSO) sign in again at the provider instead, which sends them through
 * their IdP (`prompt=login`). Failures count against the same per-account limits as sign-in.
 */

const VERIFY = `${SECURITY}/verify`;
const PasswordForm = z.object({ password: z.string().max(1024) });
const MethodForm = z.object({ method: z.custom<MethodId>(isMethodId) });
/** Where to go once verified: a Password & Security path, never elsewhere. */
const NextPath = z.string().regex(/^\/account\/security(\/[A-Za-z0-9_\-/]*)?$/).refine((path) => !path.includes('//'));

export type StepUpStatus = 'fresh' | 'password' | 'mfa' | 'provider';

/** What the user still has to prove before a change. */
export async function stepUpStatus(ctx: AccountContext, deps: AccountDeps): Promise<StepUpStatus> {
  const { record } = ctx.state.signedIn;
  const now = deps.clock();
  const recent = (at: number | undefined): boolean => at !== undefined && now - at <= deps.stepUpSeconds * 1000;
  const user = await deps.directory.findUser(record.userId);
  if (!user?.passwordHash) {
    // No password here: a recent sign-in at the provider (through the company's IdP) is the proof.
    return (record.authAge ?? Infinity) + (now - (record.signedInAt ?? 0)) / 1000 <= deps.stepUpSeconds ? 'fresh' : 'provider';
  }
  if (!recent(record.verified?.password)) return 'password';
  const options = await deps.mfa.verificationOptions(record.userId);
  if (options && options.methods.length > 0 && !recent(record.verified?.mfa)) return 'mfa';
  return 'fresh';
}

/**
 * Guards a change: true when the user may go ahead; otherwise the response sends them to prove it
 * (and back to `next` afterwards, a GET of the flow they started).
 */
export async function requireStepUp(ctx: AccountContext, deps: AccountDeps, next: string): Promise<boolean> {
  const status = await stepUpStatus(ctx, deps);
  if (status === 'fresh') return true;
  if (status === 'provider') {
    const { sessionId, record } = ctx.state.signedIn;
    await startSignIn(ctx, deps, { id: sessionId, record }, next, { pending: { next } });
    return false;
  }
  ctx.status = 303;
  ctx.redirect(`${VERIFY}?next=${encodeURIComponent(next)}`);
  return false;
}

/** GET /account/security/verify: the password page, or the method chooser, whichever is due. */
async function showVerify(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  const next = nextOf(ctx.query['next']);
  const status = await stepUpStatus(ctx, deps);
  if (status === 'fresh') {
    goTo(ctx, next);
    return;
  }
  if (status === 'provider') {
    await requireStepUp(ctx, deps, next);
    return;
  }
  if (status === 'password') {
    passwordPage(ctx, next);
    return;
  }
  await chooserPage(ctx, deps, next);
}

function passwordPage(ctx: AccountContext, next: string, error?: { message: string; status: number }): void {
  renderPage(ctx, 'account/password_confirm', { title: 'Confirm Your Password', status: error?.status ?? 200 }, { csrf: ctx.state.signedIn.record.csrf, next, error: error?.message });
}

/** POST …/verify/password: the password re-entered, through the sign-in's per-account limits. */
async function submitPassword(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  const next = nextOf((ctx.request.body as Record<string, unknown> | undefined)?.['next']);
  const { userId } = ctx.state.signedIn.record;
  const user = await deps.directory.findUser(userId);
  const form = readForm(ctx, PasswordForm);
  if (!user || !form.ok) {
    passwordPage(ctx, next, { message: 'Enter your password.', status: 400 });
    return;
  }
  const result = await loginWithPassword(deps, { email: user.email, password: form.value.password, ip: ctx.ip });
  if (result.outcome === 'throttled') {
    ctx.set('Retry-After', String(result.retryAfterSeconds));
    passwordPage(ctx, next, { message: 'Too many attempts. Wait a few minutes, then try again.', status: 429 });
    return;
  }
  if (result.outcome !== 'success' || result.user.id !== userId) {
    passwordPage(ctx, next, { message: 'That password is not correct.', status: 401 });
    return;
  }
  await markVerified(ctx, deps, 'password');
  ctx.status = 303;
  ctx.redirect(`${VERIFY}?next=${encodeURIComponent(next)}`);
}

/** "How Do You Want to Verify Your Identity", with the account's usable methods (the preferred first). */
async function chooserPage(ctx: AccountContext, deps: AccountDeps, next: string): Promise<void> {
  const options = await deps.mfa.verificationOptions(ctx.state.signedIn.record.userId);
  if (!options) ctx.throw(400, 'There is no signed-in user for this request.');
  await rememberNext(ctx, deps, next);
  renderPage(ctx, 'mfa/mfa_choose', { title: 'How Do You Want to Verify Your Identity' }, {
    base: VERIFY,
    uid: '',
    choices: options.methods.map((id) => ({ id, label: deps.mfa.method(id).texts.choice, hint: options.hints[id] })),
    preferred: options.preferred,
    csrf: ctx.state.signedIn.record.csrf,
  });
}

/** POST …/verify/mfa/choose: the chosen method starts its challenge (sends a text, or shows the code page). */
async function chooseMethod(ctx: AccountContext, deps: AccountDeps): Promise<void> {
  const form = readForm(ctx, MethodForm);
  if (!form.ok) ctx.throw(400, 'Choose how you want to verify your identity.');
  const method = deps.mfa.method(form.value.method);
  await runChallenge(ctx, deps, method, (request) => method.begin(request));
}

/** A method's challenge screen, as at sign-in, for a method the account may use now. */
async function runChallenge(ctx: AccountContext, deps: AccountDeps, method: MfaMethod<MethodId>, handle: (request: ChallengeScreenRequest) => Promise<ScreenResult>): Promise<void> {
  const { userId } = ctx.state.signedIn.record;
  const options = await deps.mfa.verificationOptions(userId);
  if (!options?.methods.includes(method.id)) ctx.throw(403, 'This verification method is not available for your account.');
  const others: OtherWay[] = options.methods
    .filter((id) => id !== method.id && deps.mfa.method(id).texts.useInstead !== undefined)
    .map((id) => ({ label: deps.mfa.method(id).texts.useInstead ?? '', path: deps.mfa.method(id).entry.challenge }));
  const context: AttemptContext = { ip: ctx.ip, userAgent: ctx.get('user-agent'), interactionId: `account:${flowIdOf(ctx)}`, sessionUid: undefined };
  const result = await handle({ form: ctx.request.body, context, others, user: options.user, hint: options.hints[method.id], attempt: (code) => deps.mfa.attempt(userId, method.id, code, context, { rememberChoice: false }) });
  switch (result.kind) {
    case 'page':
      if (result.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(result.retryAfterSeconds));
      renderPage(ctx, join(method.viewsDir, result.view), { title: result.title, status: result.status ?? 200 }, { base: VERIFY, uid: '', csrf: ctx.state.signedIn.record.csrf, ...result.data });
      return;
    case 'redirect':
      ctx.status = 303;
      ctx.redirect(`${VERIFY}/${result.path}`);
      return;
    case 'attempted':
      if (result.result.outcome === 'success') {
        await markVerified(ctx, deps, 'mfa');
        goTo(ctx, ctx.state.signedIn.record.next ?? SECURITY);
        return;
      }
      renderPage(ctx, 'message', { title: 'Too many attempts', status: 429 }, { tone: 'error', message: `Verification is paused after too many failed attempts. Try again in ${Math.max(1, Math.ceil(result.result.retryAfterSeconds / 60))} minutes.` });
      return;
    case 'enrolled':
    case 'stale':
      goTo(ctx, SECURITY);
      return;
    case 'refused':
      ctx.throw(result.status, result.message);
  }
}

async function markVerified(ctx: AccountContext, deps: AccountDeps, what: 'password' | 'mfa'): Promise<void> {
  const { sessionId, record } = ctx.state.signedIn;
  const verified = { ...record.verified, [what]: deps.clock() };
  await deps.sessions.save(ctx, sessionId, { ...record, verified });
  ctx.state.signedIn.record = { ...record, verified };
}

/** The challenge's pages post to their own paths: where to go afterwards is kept in the session. */
async function rememberNext(ctx: AccountContext, deps: AccountDeps, next: string): Promise<void> {
  const { sessionId, record } = ctx.state.signedIn;
  await deps.sessions.save(ctx, sessionId, { ...record, next });
}

/** After an SSO user signed in again (the provider's re-authentication), back to the flow they started. */
export function continueAfterSignIn(pending: unknown): ActionOutcome {
  const next = typeof pending === 'object' && pending !== null && 'next' in pending ? nextOf(pending.next) : SECURITY;
  return { status: 'done', redirect: next, notice: { tone: 'ok', text: 'You signed in again: go ahead.' } };
}

function nextOf(value: unknown): string {
  const parsed = NextPath.safeParse(value);
  return parsed.success ? parsed.data : SECURITY;
}

function goTo(ctx: AccountContext, path: string): void {
  ctx.status = 303;
  ctx.redirect(nextOf(path));
}

/**
 * The code pages link to "Use a recovery code", as at sign-in. Here a recovery code would prove
 * nothing more than the method and would remove every method (it means the device is lost), so the
 * page explains where it is used instead.
 */
function recoveryCodeNotHere(ctx: AccountContext): Promise<void> {
  renderPage(ctx, 'message', { title: 'Use a Recovery Code at Sign-in' }, {
    message: 'A recovery code is for signing in when you no longer have your device. Sign out, sign in again with it, and set up a new method. To change settings here, verify with one of your methods.',
    action: { href: VERIFY, label: 'Choose a method' },
  });
  return Promise.resolve();
}

/** The step-up's routes, with every method's challenge screens mounted under …/verify. */
export function stepUpPages(deps: AccountDeps): SitePages<AccountDeps> {
  const pages: SitePages<AccountDeps> = {
    get: { '/security/verify': showVerify, '/security/verify/mfa/recovery': recoveryCodeNotHere },
    post: { '/security/verify/password': submitPassword, '/security/verify/mfa/choose': chooseMethod },
  };
  for (const method of deps.mfa.methods) {
    for (const screen of method.screens) {
      if (screen.step !== 'mfa') continue;
      const handler = (ctx: AccountContext, d: AccountDeps): Promise<void> => runChallenge(ctx, d, method, (request) => screen.handle(request));
      pages[screen.method === 'GET' ? 'get' : 'post'][`/security/verify/${screen.path}`] = handler;
    }
  }
  return pages;
}
