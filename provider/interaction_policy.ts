import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { MfaSteps } from '../mfa/gate.ts';

const { Check, Prompt, base } = interactionPolicy;

export type MfaStepsForRequest = (ctx: KoaContextWithOIDC) => Promise<MfaSteps>;

/**
 * login → mfa_enroll → mfa → consent. The two MFA prompts ask `stepsDue` (mfa/gate.ts), which is
 * evaluated on every authorization request and resume: an authorization code is only issued when
 * no MFA step is due, whatever URL the browser goes to.
 *
 * The login prompt's essential-acr checks are removed: they would send a user who asks for the
 * multi-factor acr back to the password, while the MFA prompts already enforce it (step-up).
 */
export function interactionPrompts(stepsDue: MfaStepsForRequest): interactionPolicy.Prompt[] {
  const memo = new WeakMap<KoaContextWithOIDC, Promise<MfaSteps>>();
  const steps = (ctx: KoaContextWithOIDC): Promise<MfaSteps> => {
    let pending = memo.get(ctx);
    if (!pending) memo.set(ctx, (pending = stepsDue(ctx)));
    return pending;
  };

  const policy = base();
  const login = policy.get('login');
  login?.checks.remove('essential_acr');
  login?.checks.remove('essential_acrs');

  policy.add(
    new Prompt(
      { name: 'mfa_enroll', requestable: false },
      new Check('mfa_enrollment_due', 'Multi-factor enrollment is required', 'interaction_required', async (ctx) => (await steps(ctx)).enroll),
    ),
    1,
  );
  policy.add(
    new Prompt(
      { name: 'mfa', requestable: false },
      new Check('mfa_due', 'Multi-factor authentication is required', 'interaction_required', async (ctx) => (await steps(ctx)).challenge),
    ),
    2,
  );
  return [...policy];
}
