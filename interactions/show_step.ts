import type Provider from 'oidc-provider';
import { consentScreenNeeded, grantConsent, showConsent } from './consent.ts';
import type { InteractionContext } from './context.ts';
import { showEmailPage } from './login/email.ts';

/** `GET /interaction/:uid`: shows the screen for the step oidc-provider stopped at. */
export function showCurrentStep(provider: Provider) {
  return async (ctx: InteractionContext): Promise<void> => {
    const { prompt } = ctx.state.interaction;
    switch (prompt.name) {
      case 'login':
        showEmailPage(ctx);
        return;
      case 'consent':
        if (consentScreenNeeded(ctx.state.client.metadata())) showConsent(ctx);
        else await grantConsent(ctx, provider);
        return;
      default:
        ctx.throw(400, 'This sign-in step is not supported. Start again.');
    }
  };
}
