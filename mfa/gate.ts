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

/** Did the relying app ask for multi-factor authentication? */
export interface AcrClaimRequest {
  essential?: boolean | undefined;
  value?: string | undefined;
  values?: readonly string[] | undefined;
}

export function stepUpRequested(acrValues: unknown, acrClaim: AcrClaimRequest | undefined): boolean {
  const requested = typeof acrValues === 'string' ? acrValues.split(' ') : [];
  if (requested.includes(ACR.multiFactor)) return true;
  if (!acrClaim?.essential) return false;
  return acrClaim.value === ACR.multiFactor || (acrClaim.values?.includes(ACR.multiFactor) ?? false);
}

/** The essential `acr` request of a raw `claims` parameter (as stored on the interaction), if any. */
export function acrClaimFromParam(claims: unknown): AcrClaimRequest | undefined {
  if (typeof claims !== 'string') return undefined;
  try {
    const parsed = JSON.parse(claims) as { id_token?: { acr?: AcrClaimRequest } };
    return parsed.id_token?.acr ?? undefined;
  } catch {
    return undefined;
  }
}

/** "Skip for now" exists only before the deadline, and never when the app asked for MFA. */
export function canSkipEnrollment(requirement: MfaRequirement, stepUp: boolean): boolean {
  return requirement.kind === 'optional_enrollment' && !stepUp;
}
