import { z } from 'zod';
import { canSkipEnrollment, mfaStepsDue, upstreamLoginDue, type GateInput, type UpstreamLoginReason } from './gate.ts';
import type { AllowedMethods } from './policy.ts';
import { isMethodId, type MethodId } from './registry.ts';

/**
 * The gate's decision for one authorization request, made once by the interaction policy and
 * carried to the screens in the prompt's details (as oidc-provider's consent prompt carries
 * `missingOIDCScope`), so no screen decides again.
 */
export type MfaDecision =
  | { step: 'none' }
  /** A federated account must log in at its company's IdP (again): the login prompt shows. */
  | { step: 'login'; details: UpstreamLoginDetails }
  | { step: 'mfa_enroll'; details: EnrollDetails }
  | { step: 'mfa'; details: ChallengeDetails };

export const UpstreamLoginDetails = z.object({ reason: z.enum(['sso_required', 'sso_reverify', 'sso_step_up']) satisfies z.ZodType<UpstreamLoginReason> });
export type UpstreamLoginDetails = z.infer<typeof UpstreamLoginDetails>;

const MethodIdSchema = z.custom<MethodId>(isMethodId);

const AllowedMethodsSchema = z.object({
  totp: z.literal(true),
  sms: z.union([
    z.object({ allowed: z.literal(false), reason: z.literal('payor') }),
    z.object({ allowed: z.literal(true), onlyCountries: z.union([z.array(z.string()), z.literal('default')]) }),
  ]),
}) satisfies z.ZodType<AllowedMethods>;

/**
 * Where a recovery stands: `here` when this browser session used the recovery code (it must enroll
 * again, and only it may), `elsewhere` when another session did (this one has proved nothing but the password).
 */
export type RecoveryStanding = 'none' | 'here' | 'elsewhere';

export const EnrollDetails = z.object({
  canSkip: z.boolean(),
  /** The enforcement date while enrollment is still optional. */
  deadline: z.string().optional(),
  allowed: AllowedMethodsSchema,
  recovery: z.enum(['none', 'here', 'elsewhere']),
  /** The factors' version the decision was made on: an enrollment commits only on it. */
  factorVersion: z.number().int(),
});
export type EnrollDetails = z.infer<typeof EnrollDetails>;

export const ChallengeDetails = z.object({
  /** The methods the account may use now, in the order to offer them. */
  methods: z.array(MethodIdSchema).min(1),
  /** The default on the chooser: the last method used, if still usable. */
  preferred: MethodIdSchema,
  /** What the chooser shows next to a method (the masked number); never a secret. */
  hints: z.record(z.string(), z.string()),
});
export type ChallengeDetails = z.infer<typeof ChallengeDetails>;

export interface DecisionInput extends GateInput {
  /** Enrolled methods the policy allows now (usable), in the registry's order. */
  usable: readonly MethodId[];
  preferred: MethodId | undefined;
  hints: Partial<Record<MethodId, string>>;
  recovery: RecoveryStanding;
  factorVersion: number;
}

/** Pure: the step due (mfa/gate.ts decides that) and what its screens need to know. */
export function decide(input: DecisionInput): MfaDecision {
  const upstream = upstreamLoginDue(input);
  if (upstream) return { step: 'login', details: { reason: upstream } };
  const steps = mfaStepsDue(input);
  if (steps.enroll) {
    const { requirement } = input;
    return {
      step: 'mfa_enroll',
      details: {
        canSkip: canSkipEnrollment(requirement, input.stepUp),
        ...(requirement.kind === 'optional_enrollment' ? { deadline: requirement.deadline } : {}),
        allowed: requirement.methods,
        recovery: input.recovery,
        factorVersion: input.factorVersion,
      },
    };
  }
  const [first] = input.usable;
  if (steps.challenge && first !== undefined) {
    const hints: Record<string, string> = {};
    for (const id of input.usable) {
      const hint = input.hints[id];
      if (hint !== undefined) hints[id] = hint;
    }
    const preferred = input.preferred !== undefined && input.usable.includes(input.preferred) ? input.preferred : first;
    return { step: 'mfa', details: { methods: [...input.usable], preferred, hints } };
  }
  return { step: 'none' };
}

/** Where a recovery stands for this browser session. */
export function recoveryStanding(recoveringSession: string | undefined, sessionUid: string | undefined): RecoveryStanding {
  if (recoveringSession === undefined) return 'none';
  return recoveringSession === sessionUid ? 'here' : 'elsewhere';
}
