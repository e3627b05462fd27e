import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { MfaDecision } from '../mfa/decision.ts';

const { Check, Prompt, base } = interactionPolicy;

export type MfaDecisionForRequest = (ctx: KoaContextWithOIDC) => Promise<MfaDecision>;

/** The reasons the MFA prompts give, as oidc-provider records them on the interaction. */
export const MFA_PROMPT_REASONS = { login: 'sso_login_due', mfa_enroll: 'mfa_enrollment_due', mfa: 'mfa_due' } as const;

/**
 * login → mfa_enroll → mfa → consent. The two MFA prompts ask the gate (Mfa.decide), which is
 * evaluated on every authorization request and resume: an authorization code is only issued when
 * no MFA step is due, whatever URL the browser goes to. The decision's details become the prompt's
 * details, so the screens show what the gate decided without deciding again.
 *
 * The login prompt's essential-acr checks are removed: they would send a user who asks for the
 * multi-factor acr back to the password, while the MFA prompts already enforce it (step-up).
 */
export function interactionPrompts(decide: MfaDecisionForRequest): interactionPolicy.Prompt[] {
  const memo = new WeakMap<KoaContextWithOIDC, Promise<MfaDecision>>();
  const decision = (ctx: KoaContextWithOIDC): Promise<MfaDecision> => {
    let pending = memo.get(ctx);
    if (!pending) memo.set(ctx, (pending = decide(ctx)));
    return pending;
  };
  const detailsAt = async (ctx: KoaContextWithOIDC, step: MfaDecision['step']): Promise<Record<string, unknown>> => {
    const decided = await decision(ctx);
    return decided.step === step && decided.step !== 'none' ? { ...decided.details } : {};
  };

  const policy = base();
  const login = policy.get('login');
  login?.checks.remove('essential_acr');
  login?.checks.remove('essential_acrs');
  // A federated account sent (back) through its company's IdP. Never right after a login in this
  // interaction (as oidc-provider's max_age check): the SSO callback refuses what the IdP did not prove.
  login?.checks.add(
    new Check(
      MFA_PROMPT_REASONS.login,
      "The company's identity provider must authenticate the End-User",
      'login_required',
      async (ctx) => !ctx.oidc.result?.login && (await decision(ctx)).step === 'login',
      (ctx) => detailsAt(ctx, 'login'),
    ),
  );

  policy.add(
    new Prompt(
      { name: 'mfa_enroll', requestable: false },
      new Check(
        MFA_PROMPT_REASONS.mfa_enroll,
        'Multi-factor enrollment is required',
        'interaction_required',
        async (ctx) => (await decision(ctx)).step === 'mfa_enroll',
        (ctx) => detailsAt(ctx, 'mfa_enroll'),
      ),
    ),
    1,
  );
  policy.add(
    new Prompt(
      { name: 'mfa', requestable: false },
      new Check(MFA_PROMPT_REASONS.mfa, 'Multi-factor authentication is required', 'interaction_required', async (ctx) => (await decision(ctx)).step === 'mfa', (ctx) => detailsAt(ctx, 'mfa')),
    ),
    2,
  );
  return [...policy];
}
