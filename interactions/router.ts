import Router from '@koa/router';
import type { Middleware } from 'koa';
import { abortInteraction } from './abort.ts';
import { grantConsent } from './consent.ts';
import { loadInteraction, type InteractionContext, type InteractionDeps } from './context.ts';
import { formBody } from './forms.ts';
import { submitEmail } from './login/email.ts';
import { submitPassword } from './login/password.ts';
import { showCurrentStep } from './show_step.ts';
import { chooseMethod, confirmEnrollmentCode, resendEnrollmentCode, sendEnrollmentCode, showEnrollmentCode, showLoginCode, showSmsSetup, submitLoginCode } from './mfa/sms.ts';
import { showRecoveryEntry, showVerify, submitRecoveryCode, submitTotp } from './mfa/challenge.ts';
import { acknowledgeRecoveryCode, confirmTotp, downloadRecoveryCode, resumeAfterStaleEnrollment, showMethods, showRecoveryCode, showTotpSetup, skipEnrollment } from './mfa/enroll.ts';

/**
 * Every interaction screen lives under /interaction/:uid, where the interaction cookie is sent.
 * The flow: GET shows the current step; each POST handles one step and either re-renders it with
 * an error or resumes oidc-provider, which decides the next step:
 * login → mfa_enroll (first setup) → mfa (challenge) → consent → code.
 */
export function interactionRoutes(deps: InteractionDeps): Middleware {
  const router = new Router({ prefix: '/interaction/:uid' });
  const { provider } = deps;
  const typed = (handler: (ctx: InteractionContext) => Promise<void>): Middleware => (ctx) => handler(ctx as InteractionContext);

  router.use(loadInteraction(provider) as Middleware);

  router.get('/', typed(showCurrentStep(deps)));
  router.post('/email', formBody, typed(submitEmail(provider)));
  router.post('/password', formBody, typed(submitPassword(deps)));

  // Enrollment: Two-Factor Authentication Required → method → Secure your Account → recovery code.
  router.post('/mfa/skip', formBody, typed(skipEnrollment(deps)));
  router.post('/mfa/resume', formBody, typed(resumeAfterStaleEnrollment()));
  router.get('/mfa/methods', typed(showMethods(deps)));
  router.get('/mfa/totp', typed(showTotpSetup(deps)));
  router.post('/mfa/totp', formBody, typed(confirmTotp(deps)));
  router.get('/mfa/recovery-code', typed(showRecoveryCode(deps)));
  router.get('/mfa/recovery-code/download', typed(downloadRecoveryCode(deps)));
  router.post('/mfa/recovery-code', formBody, typed(acknowledgeRecoveryCode(deps)));

  router.get('/mfa/sms', typed(showSmsSetup(deps)));
  router.post('/mfa/sms', formBody, typed(sendEnrollmentCode(deps)));
  router.get('/mfa/sms/verify', typed(showEnrollmentCode(deps)));
  router.post('/mfa/sms/verify', formBody, typed(confirmEnrollmentCode(deps)));
  router.post('/mfa/sms/resend', formBody, typed(resendEnrollmentCode(deps)));

  // Challenge: choose a method, the code (app or text message), or a recovery code.
  router.post('/mfa/choose', formBody, typed(chooseMethod(deps)));
  router.get('/mfa/sms/code', typed(showLoginCode(deps)));
  router.post('/mfa/sms/code', formBody, typed(submitLoginCode(deps)));
  router.get('/mfa/verify', typed(showVerify(deps)));
  router.post('/mfa/verify', formBody, typed(submitTotp(deps)));
  router.get('/mfa/recovery', typed((ctx) => {
    showRecoveryEntry(ctx);
    return Promise.resolve();
  }));
  router.post('/mfa/recovery', formBody, typed(submitRecoveryCode(deps)));

  router.post('/consent', formBody, typed((ctx) => grantConsent(ctx, provider)));
  router.post('/abort', formBody, typed(abortInteraction));

  return router.routes() as Middleware;
}
