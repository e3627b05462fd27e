import type { AttemptResult, MfaAccount } from '../../mfa/mfa.ts';
import { renderPage } from '../../views/render.ts';
import { requirePrompt, type InteractionContext } from '../context.ts';
import { readForm } from '../forms.ts';
import { finishMfa, interactionAccount, readFlow, requestMeta, writeFlow, type MfaRouteDeps } from './flow.ts';
import { CodeForm, RecoveryCodeForm } from './forms.ts';

const WRONG_CODE = 'That code is not right or has expired. Enter the current code from your authenticator app.';
const MALFORMED_CODE = 'Enter the 6-digit code from your authenticator app.';
const WRONG_RECOVERY = 'That recovery code is not valid. Check it and try again.';

/**
 * The challenge: "How Do You Want to Verify Your Identity" when several methods are active (the
 * last one used is the default), otherwise straight to the code. A recovery code is always offered.
 */
export async function showChallenge(ctx: InteractionContext, deps: MfaRouteDeps): Promise<void> {
  const account = await interactionAccount(ctx, deps.mfa);
  if ((await readFlow(ctx, deps.mfa)).recovered) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/methods`);
    return;
  }
  if (account.methods.length > 1) {
    renderPage(ctx, 'mfa_choose', { title: 'How Do You Want to Verify Your Identity' }, {
      uid: ctx.state.interaction.uid,
      methods: account.methods,
      preferred: account.preferred ?? account.methods[0],
    });
    return;
  }
  showCodePage(ctx, account);
}

function showCodePage(ctx: InteractionContext, account: MfaAccount, error?: { message: string; status: number }): void {
  renderPage(ctx, 'totp_verify', { title: 'Enter Your 6-digit Verification Code', status: error?.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    hasRecoveryCode: true,
    error: error?.message,
    email: account.user.email,
  });
}

/** The chosen method's code page (the chooser submits here). */
export function showVerify(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    requirePrompt(ctx, 'mfa');
    showCodePage(ctx, await interactionAccount(ctx, deps.mfa));
  };
}

export function submitTotp(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    requirePrompt(ctx, 'mfa');
    const account = await interactionAccount(ctx, deps.mfa);
    const form = readForm(ctx, CodeForm);
    const result: AttemptResult = await deps.mfa.attempt(account.user, deps.mfa.totp, form.ok ? form.value.code : '', requestMeta(ctx));
    if (result.outcome === 'success') {
      await deps.mfa.deps.store.setPreferredMethod(account.user.id, 'totp');
      await finishMfa(ctx, deps, deps.mfa.totp.amr);
      return;
    }
    if (result.outcome === 'locked') {
      await showLocked(ctx, deps, result);
      return;
    }
    showCodePage(ctx, account, { message: result.reason === 'malformed' ? MALFORMED_CODE : WRONG_CODE, status: 401 });
  };
}

/** "Use a recovery code". */
export function showRecoveryEntry(ctx: InteractionContext, error?: { message: string; status: number }): void {
  requirePrompt(ctx, 'mfa');
  renderPage(ctx, 'recovery_code_enter', { title: 'Use a Recovery Code', status: error?.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    error: error?.message,
  });
}

/**
 * A correct recovery code signs the user in, but the authenticator is treated as lost: it is
 * removed and the user goes on to set up a new one, which issues a new recovery code to save.
 */
export function submitRecoveryCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    requirePrompt(ctx, 'mfa');
    const account = await interactionAccount(ctx, deps.mfa);
    const form = readForm(ctx, RecoveryCodeForm);
    const result = await deps.mfa.attempt(account.user, deps.mfa.recoveryCode, form.ok ? form.value.recovery_code : '', requestMeta(ctx));
    if (result.outcome === 'locked') {
      await showLocked(ctx, deps, result);
      return;
    }
    if (result.outcome === 'failed') {
      showRecoveryEntry(ctx, { message: WRONG_RECOVERY, status: 401 });
      return;
    }
    await deps.mfa.totp.remove(account.user.id);
    await writeFlow(ctx, deps.mfa, { recovered: true, amr: [...deps.mfa.recoveryCode.amr] });
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/methods`);
  };
}

/**
 * Too many failures. The failure that triggers the lock also ends this sign-in and its browser
 * session, so the user must start again with the password once the lock has passed.
 */
async function showLocked(ctx: InteractionContext, deps: MfaRouteDeps, result: { retryAfterSeconds: number; justLocked: boolean }): Promise<void> {
  const { interaction } = ctx.state;
  if (result.justLocked) {
    const sessionId = interaction.session?.cookie;
    const session = sessionId ? await deps.provider.Session.find(sessionId) : undefined;
    await session?.destroy();
    await interaction.destroy();
  }
  const minutes = Math.max(1, Math.ceil(result.retryAfterSeconds / 60));
  ctx.set('Retry-After', String(result.retryAfterSeconds));
  renderPage(ctx, 'message', { title: 'Too many attempts', status: 429 }, {
    tone: 'error',
    message: `Too many failed verification attempts. For your security, verification is paused. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    action: result.justLocked ? { href: '/', label: 'Start again' } : undefined,
  });
}
