import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ScreenRoute } from '../mfa/screens.ts';
import { abortInteraction } from './abort.ts';
import { grantConsent } from './consent/consent.ts';
import { loadInteraction, type InteractionContext, type InteractionDeps, type InteractionHandler, type InteractionState } from './context.ts';
import { formBody } from './forms.ts';
import { submitEmail } from './login/email.ts';
import { submitPassword } from './login/password.ts';
import { finishSso } from './login/sso.ts';
import { chooseMethod, showRecoveryEntry, submitRecoveryCode } from './mfa/challenge.ts';
import { acknowledgeRecoveryCode, downloadRecoveryCode, resumeAfterStaleEnrollment, showMethods, showRecoveryCode, skipEnrollment } from './mfa_enroll/enrollment.ts';
import { runChallengeScreen, runEnrollScreen } from './method_screens.ts';
import { showCurrentStep } from './show_step.ts';

/** The interaction steps, named after oidc-provider's prompts. */
export type Step = 'login' | 'mfa_enroll' | 'mfa' | 'consent';

/** What a route declares: its method, its path under /interaction/:uid, and its step. */
export interface DeclaredRoute {
  method: 'GET' | 'POST';
  path: string;
  /** The steps the interaction must be at; a request at any other step gets a 400. */
  at: readonly Step[] | 'any';
}

interface Route extends DeclaredRoute {
  handle: InteractionHandler;
}

const at = (...steps: Step[]): readonly Step[] => steps;

/**
 * Every interaction screen, in one table, each with the step it belongs to. The flow: GET `/` shows
 * the current step; each POST handles one step and either re-renders it with an error or resumes
 * oidc-provider, which decides the next one: login → mfa_enroll (first setup) → mfa (challenge) →
 * consent → code. The registered methods' screens join the table with the steps they declare.
 */
export function routeTable(deps: InteractionDeps): Route[] {
  const methodRoutes = deps.mfa.methods.flatMap((method) =>
    method.screens.map((screen: ScreenRoute): Route => ({
      method: screen.method,
      path: `/${screen.path}`,
      at: at(screen.step),
      handle: (ctx) => (screen.step === 'mfa_enroll' ? runEnrollScreen(ctx, deps, method, screen) : runChallengeScreen(ctx, deps, method, (request) => screen.handle(request))),
    })),
  );
  return [
    { method: 'GET', path: '/', at: 'any', handle: showCurrentStep },
    { method: 'POST', path: '/email', at: at('login'), handle: submitEmail },
    { method: 'POST', path: '/password', at: at('login'), handle: submitPassword },
    { method: 'GET', path: '/sso/callback', at: at('login'), handle: finishSso },

    // Enrollment: Two-Factor Authentication Required → method → its setup → recovery code.
    { method: 'POST', path: '/mfa/skip', at: at('mfa_enroll'), handle: skipEnrollment },
    { method: 'POST', path: '/mfa/resume', at: at('mfa_enroll', 'mfa'), handle: resumeAfterStaleEnrollment },
    { method: 'GET', path: '/mfa/methods', at: at('mfa_enroll'), handle: showMethods },
    { method: 'GET', path: '/mfa/recovery-code', at: at('mfa_enroll'), handle: showRecoveryCode },
    { method: 'GET', path: '/mfa/recovery-code/download', at: at('mfa_enroll'), handle: downloadRecoveryCode },
    { method: 'POST', path: '/mfa/recovery-code', at: at('mfa_enroll'), handle: acknowledgeRecoveryCode },

    // Challenge: choose a method, its code, or a recovery code.
    { method: 'POST', path: '/mfa/choose', at: at('mfa'), handle: chooseMethod },
    { method: 'GET', path: '/mfa/recovery', at: at('mfa'), handle: (ctx) => showRecoveryEntry(ctx) },
    { method: 'POST', path: '/mfa/recovery', at: at('mfa'), handle: submitRecoveryCode },
    ...methodRoutes,

    { method: 'POST', path: '/consent', at: at('consent'), handle: grantConsent },
    { method: 'POST', path: '/abort', at: 'any', handle: abortInteraction },
  ];
}

/** Every interaction screen lives under /interaction/:uid, where the interaction cookie is sent. */
export function interactionRoutes(deps: InteractionDeps): Middleware {
  const router = new Router<InteractionState>({ prefix: '/interaction/:uid' });
  router.use(loadInteraction(deps.provider));
  for (const route of routeTable(deps)) {
    const handler = async (ctx: InteractionContext): Promise<void> => {
      if (route.at !== 'any' && !route.at.some((step) => step === ctx.state.interaction.prompt.name)) {
        ctx.throw(400, 'This step is not available right now. Go back to the application and sign in again.');
      }
      await route.handle(ctx, deps);
    };
    if (route.method === 'GET') router.get(route.path, handler);
    else router.post(route.path, (ctx) => formBody(ctx, () => handler(ctx)));
  }
  // @koa/router types its middleware for its own context, though Koa calls it with a plain one and
  // the router adds the params: the one place the types need telling.
  return router.routes() as Middleware;
}
