import Router from '@koa/router';
import type { Middleware } from 'koa';
import { abortInteraction } from './abort.ts';
import { grantConsent } from './consent.ts';
import { loadInteraction, type InteractionContext, type InteractionDeps } from './context.ts';
import { formBody } from './forms.ts';
import { submitEmail } from './login/email.ts';
import { submitPassword } from './login/password.ts';
import { showCurrentStep } from './show_step.ts';

/**
 * Every interaction screen lives under /interaction/:uid, where the interaction cookie is sent.
 * The flow: GET shows the current step; each POST handles one step and either re-renders it with
 * an error or resumes oidc-provider, which decides the next step (login → consent → code).
 */
export function interactionRoutes(deps: InteractionDeps): Middleware {
  const router = new Router({ prefix: '/interaction/:uid' });
  const { provider } = deps;
  const typed = (handler: (ctx: InteractionContext) => Promise<void>): Middleware => (ctx) => handler(ctx as InteractionContext);

  router.use(loadInteraction(provider) as Middleware);

  router.get('/', typed(showCurrentStep(provider)));
  router.post('/email', formBody, typed(submitEmail));
  router.post('/password', formBody, typed(submitPassword(deps)));
  router.post('/consent', formBody, typed((ctx) => grantConsent(ctx, provider)));
  router.post('/abort', formBody, typed((ctx) => abortInteraction(ctx, provider)));

  return router.routes() as Middleware;
}
