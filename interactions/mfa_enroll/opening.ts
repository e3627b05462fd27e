import type { EnrollmentOpening } from '../../mfa/service.ts';
import { renderPage } from '../render.ts';
import type { InteractionContext } from '../context.ts';
import { redirectWithin } from '../mfa/flow.ts';

/**
 * An enrollment request that may not go on. A stale screen, or a commit that lost its
 * compare-and-set, stores nothing and changes no state (a losing double-submit must not end the
 * winner's sign-in); the page's Continue resumes, and the gate leads to the factor's challenge.
 */
export function refuseEnrollment(ctx: InteractionContext, reason: Extract<EnrollmentOpening, { ok: false }>['reason']): void {
  const userId = ctx.state.interaction.session?.accountId;
  switch (reason) {
    case 'no_user':
      ctx.throw(400, 'There is no signed-in user for this request. Start again.');
      return;
    case 'recovering_elsewhere':
      ctx.state.log.warn({ event: 'mfa.recovery_enrollment_refused', userId }, 'enrollment refused: the account is recovering in another session');
      ctx.throw(403, 'Your recovery code was used in another browser. Finish setting up there, or ask your company administrator to reset your two-factor authentication.');
      return;
    case 'just_enrolled':
      // This sign-in enrolled a moment ago (a double-submitted form): show its recovery code again.
      redirectWithin(ctx, 'mfa/recovery-code');
      return;
    case 'stale':
      ctx.state.log.warn({ event: 'mfa.stale_enrollment_refused', userId }, 'enrollment refused: the account has a factor now');
      renderPage(ctx, 'mfa_enroll/mfa_already_enrolled', { title: 'Two-Factor Authentication Is Already Set Up', status: 409 }, { uid: ctx.state.interaction.uid });
  }
}
