import { consentScreenNeeded, grantConsent, showConsent } from './consent/consent.ts';
import { clientOf, type InteractionContext, type InteractionDeps } from './context.ts';
import { showLoginStep } from './login/email.ts';
import { showChallenge } from './mfa/challenge.ts';
import { showEnrollmentRequired } from './mfa_enroll/enrollment.ts';

/** `GET /interaction/:uid`: shows the screen for the step oidc-provider stopped at. */
export async function showCurrentStep(ctx: InteractionContext, deps: InteractionDeps): Promise<void> {
  const { prompt } = ctx.state.interaction;
  switch (prompt.name) {
    case 'login':
      await showLoginStep(ctx, deps);
      return;
    case 'mfa_enroll':
      await showEnrollmentRequired(ctx);
      return;
    case 'mfa':
      await showChallenge(ctx, deps);
      return;
    case 'consent': {
      // First-party apps normally never get here (see provider/first_party_grant.ts).
      const client = await clientOf(ctx, deps.provider);
      const accountId = ctx.state.interaction.session?.accountId;
      const account = accountId ? await deps.directory.findUser(accountId) : undefined;
      if (consentScreenNeeded(client.metadata())) showConsent(ctx, client, account);
      else await grantConsent(ctx, deps);
      return;
    }
    default:
      ctx.throw(400, 'This sign-in step is not supported. Start again.');
  }
}
