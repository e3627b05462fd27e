import { requestMeta } from '../request_meta.ts';
import type { Context } from 'koa';
import type { SsoCompany } from '../../directory/login_route.ts';
import { acrClaimFromParam, stepUpRequested } from '../../mfa/gate.ts';
import type { SsoFailureReason } from '../../sso/failures.ts';
import type { SignInAsk } from '../../sso/service.ts';
import { UpstreamUnavailableError } from '../../sso/upstream.ts';
import { finishInteraction, type Interaction, type InteractionContext, type InteractionDeps } from '../context.ts';
import { renderPage } from '../render.ts';

type PageReason = Exclude<SsoFailureReason, 'mfa_not_proven'>;

/** The page for each refusal: what happened, in words a user can act on, and the status it gets. */
function failurePage(reason: PageReason, company: string): { status: number; title: string; message: string } {
  switch (reason) {
    case 'upstream_unavailable':
      return {
        status: 503,
        title: "Your company's sign-in is not responding",
        message: `We can't reach the sign-in page of ${company} right now. Try again in a few minutes; if it keeps happening, contact your IT department.`,
      };
    case 'upstream_error':
      return { status: 401, title: 'Sign-in cancelled', message: "Your company's sign-in was cancelled or failed. Nobody was signed in." };
    case 'state_missing':
    case 'state_mismatch':
    case 'replayed_state':
      return { status: 400, title: 'This sign-in has expired', message: 'This sign-in link has expired, was already used, or belongs to another sign-in. Go back to the application and sign in again.' };
    case 'nonce_mismatch':
    case 'wrong_audience':
    case 'wrong_issuer':
    case 'expired_id_token':
    case 'invalid_id_token':
    case 'invalid_response':
    case 'token_refused':
    case 'stale_authentication':
      return {
        status: 401,
        title: "Your company's sign-in could not be verified",
        message: `The answer from the sign-in page of ${company} could not be verified, so nobody was signed in. Try again; if it keeps happening, contact your IT department.`,
      };
    case 'email_missing':
    case 'email_unverified':
      return { status: 403, title: 'Email address not confirmed', message: "Your company's sign-in did not confirm your email address. Ask your IT department to check your account there." };
    // One page for these: it must not tell which accounts exist here, in which company, or in what state.
    case 'other_company':
    case 'no_account':
    case 'account_disabled':
      return { status: 403, title: 'No account here', message: "Your company's sign-in worked, but there is no account for you here. Ask your administrator." };
  }
}

/** What the relying app asked of this sign-in, as it bears on the upstream login. */
export function signInAsk(interaction: Interaction): SignInAsk {
  const { params } = interaction;
  const prompts = typeof params['prompt'] === 'string' ? params['prompt'].split(' ') : [];
  const maxAge = Number(params['max_age']);
  return {
    stepUp: stepUpRequested(params['acr_values'], acrClaimFromParam(params['claims'])),
    // A browser session that is at the login prompt again must prove itself again at the IdP too.
    reauthenticate: prompts.includes('login') || interaction.session?.accountId !== undefined,
    maxAge: params['max_age'] !== undefined && Number.isSafeInteger(maxAge) && maxAge >= 0 ? maxAge : undefined,
  };
}

/** Sends the browser to its company's IdP for this sign-in (303), or shows why it cannot (503). */
export async function startSso(ctx: InteractionContext, deps: InteractionDeps, company: SsoCompany, loginHint: string | undefined): Promise<void> {
  const { interaction } = ctx.state;
  try {
    const url = await deps.federation.begin({ interactionId: interaction.uid, company, loginHint, ask: signInAsk(interaction), meta: requestMeta(ctx) });
    ctx.state.log.info({ event: 'sso.redirect', companyId: company.id }, 'sent to the company IdP');
    ctx.status = 303;
    ctx.redirect(url.href);
  } catch (err) {
    if (!(err instanceof UpstreamUnavailableError)) throw err;
    ctx.state.log.warn({ event: 'sso.upstream_unavailable', companyId: company.id, err: err.message }, 'company IdP unreachable');
    showSsoFailure(ctx, 'upstream_unavailable', company.name, `/interaction/${interaction.uid}`);
  }
}

/** `GET /interaction/:uid/sso/callback`: the IdP's answer, in this browser's interaction. */
export async function finishSso(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const { interaction } = ctx.state;
  const callback = new URL(`${deps.ssoRedirectUri}?${ctx.querystring}`);
  const outcome = await deps.federation.complete({ interactionId: interaction.uid, callback, meta: requestMeta(ctx) });
  if (!outcome.ok) {
    ctx.state.log.info({ event: 'sso.login_failed', reason: outcome.reason }, 'SSO login refused');
    if (outcome.reason === 'mfa_not_proven') {
      // OpenID Connect Unmet Authentication Requirements 1.0: never a silent single-factor login.
      await finishInteraction(ctx, { error: 'unmet_authentication_requirements', error_description: "the company's identity provider did not perform multi-factor authentication" });
      return;
    }
    showSsoFailure(ctx, outcome.reason, outcome.companyName ?? 'your company', `/interaction/${interaction.uid}`);
    return;
  }
  ctx.state.log.info({ event: 'sso.login', userId: outcome.user.id }, 'SSO login succeeded');
  await finishInteraction(ctx, {
    login: { accountId: outcome.user.id, amr: outcome.login.amr, acr: outcome.login.acr, remember: true, ts: outcome.login.authTime },
  });
}

/** A password for an email that its company's SSO logs in: refused, with the way to the right sign-in. */
export function showSsoRequired(ctx: InteractionContext, company: SsoCompany, email: string): void {
  renderPage(ctx, 'login/sso_required', { title: "Use your company's sign-in", status: 403 }, { uid: ctx.state.interaction.uid, email, company: company.name });
}

export function showSsoFailure(ctx: Context, reason: PageReason, company: string, startAgain: string): void {
  const page = failurePage(reason, company);
  if (page.status === 503) ctx.set('Retry-After', '60');
  renderPage(ctx, 'message', { title: page.title, status: page.status }, { tone: 'error', message: page.message, action: { href: startAgain, label: 'Start again' } });
}
