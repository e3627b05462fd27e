import { z } from 'zod';
import { ACR, AMR } from '../provider/acr.ts';
import type { MfaRequirement } from './policy.ts';

export interface SessionAuth {
  amr: string[];
  /** Epoch seconds of the last interactive authentication (oidc-provider's loginTs, our auth_time). */
  authTime: number;
}

export interface GateInput {
  requirement: MfaRequirement;
  enrolled: boolean;
  /** The relying app asked for the multi-factor acr (acr_values or an essential acr claim). */
  stepUp: boolean;
  /** The user chose "Skip for now" in this browser session (only possible while optional). */
  skippedEnrollment: boolean;
  session: SessionAuth;
  nowSeconds: number;
}

export interface MfaSteps {
  enroll: boolean;
  challenge: boolean;
}

/** Has this session passed MFA recently enough for the user's re-verification frequency? */
export function mfaIsFresh(session: SessionAuth, reverifySeconds: number, nowSeconds: number): boolean {
  return session.amr.includes(AMR.multiFactor) && nowSeconds - session.authTime < reverifySeconds;
}

/**
 * Which MFA steps are due before an authorization code may be issued. Pure, and called by the
 * interaction policy on every authorization request and every resume, so a step cannot be skipped
 * by going to a later URL: the code is only issued once this returns no step.
 */
export function mfaStepsDue(input: GateInput): MfaSteps {
  const { requirement } = input;
  if (!input.enrolled) {
    const mustEnroll =
      requirement.kind === 'required' || input.stepUp || (requirement.kind === 'optional_enrollment' && !input.skippedEnrollment);
    return { enroll: mustEnroll, challenge: false };
  }
  return { enroll: false, challenge: !mfaIsFresh(input.session, requirement.reverifySeconds, input.nowSeconds) };
}

/** An individual claim request (OpenID Connect Core 5.5.1): null, or these members. */
const ClaimRequest = z
  .object({
    essential: z.boolean().optional(),
    value: z.string().optional(),
    values: z.array(z.string()).optional(),
  })
  .nullable()
  .optional();

/**
 * Why the `acr` requests of a parsed `claims` parameter are malformed, if they are. oidc-provider
 * checks the parameter's outer shape only; `"values": {"a":1}` would otherwise reach the gate.
 */
export function acrClaimProblem(claims: { id_token?: unknown; userinfo?: unknown }): string | undefined {
  for (const member of ['id_token', 'userinfo'] as const) {
    const requests = claims[member];
    if (requests === null || typeof requests !== 'object' || !('acr' in requests)) continue;
    if (!ClaimRequest.safeParse(requests.acr).success) {
      return `claims.${member}.acr must be null or an object with "essential" (boolean), "value" (string) or "values" (array of strings)`;
    }
  }
  return undefined;
}

/**
 * Did the relying app ask for multi-factor authentication? A malformed acr request (refused at the
 * authorization endpoint, so only reachable through a bug) counts as asking: it fails closed.
 */
export function stepUpRequested(acrValues: unknown, acrClaim: unknown): boolean {
  const requested = typeof acrValues === 'string' ? acrValues.split(' ') : [];
  if (requested.includes(ACR.multiFactor)) return true;
  const parsed = ClaimRequest.safeParse(acrClaim);
  if (!parsed.success) return true;
  const claim = parsed.data;
  if (!claim?.essential) return false;
  return claim.value === ACR.multiFactor || (claim.values?.includes(ACR.multiFactor) ?? false);
}

/** The `acr` request of a raw `claims` parameter (as stored on the interaction), unvalidated. */
export function acrClaimFromParam(claims: unknown): unknown {
  if (typeof claims !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(claims);
    if (parsed === null || typeof parsed !== 'object' || !('id_token' in parsed)) return undefined;
    const idToken = parsed.id_token;
    return idToken !== null && typeof idToken === 'object' && 'acr' in idToken ? idToken.acr : undefined;
  } catch {
    return undefined;
  }
}

/** "Skip for now" exists only before the deadline, and never when the app asked for MFA. */
export function canSkipEnrollment(requirement: MfaRequirement, stepUp: boolean): boolean {
  return requirement.kind === 'optional_enrollment' && !stepUp;
}
