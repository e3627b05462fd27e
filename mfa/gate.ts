import { z } from 'zod';
import { ACR, AMR, FEDERATED_AMR, FIRST_FACTOR_AMR } from './assurance.ts';
import { requiredForPay, type MfaRequirement } from './policy.ts';

export interface SessionAuth {
  amr: string[];
  /** The session's acr: the multi-factor one only once MFA counted (ours, or a trusted IdP's). */
  acr: string | undefined;
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

/**
 * Has this session passed MFA recently enough for the user's re-verification frequency? The acr says
 * whether MFA counted: an IdP's `mfa` amr alone does not when our MFA applies (sso/assurance.ts).
 */
export function mfaIsFresh(session: SessionAuth, reverifySeconds: number, nowSeconds: number): boolean {
  return session.acr === ACR.multiFactor && session.amr.includes(AMR.multiFactor) && nowSeconds - session.authTime < reverifySeconds;
}

/** Why a federated account must log in at its company's IdP (again) before anything else. */
export type UpstreamLoginReason = 'sso_required' | 'sso_reverify' | 'sso_step_up';

/**
 * Must this session go (back) through the company's IdP? A federated account's session that did not
 * come from it (a password login from before SSO was set up); for `mfa: "idp"`, a session older than
 * the company's re-verification period, or a step-up the IdP has not proved when our MFA does not apply.
 */
export function upstreamLoginDue(input: { requirement: MfaRequirement; session: SessionAuth; stepUp: boolean; nowSeconds: number }): UpstreamLoginReason | undefined {
  const { federation } = input.requirement;
  if (!federation) return undefined;
  if (!input.session.amr.includes(FEDERATED_AMR)) return 'sso_required';
  if (federation.mode !== 'idp') return undefined;
  if (input.nowSeconds - input.session.authTime >= federation.reverifySeconds) return 'sso_reverify';
  if (mfaLeftToUpstream(input.requirement) && input.stepUp && input.session.acr !== ACR.multiFactor) return 'sso_step_up';
  return undefined;
}

/** Only the company's IdP can give this account MFA: it is federated with `mfa: "idp"` and nothing of ours applies. */
export function mfaLeftToUpstream(requirement: MfaRequirement): boolean {
  return requirement.federation?.mode === 'idp' && requirement.kind === 'none';
}

/**
 * Which MFA steps are due before an authorization code may be issued. Pure, and called by the
 * interaction policy on every authorization request and every resume, so a step cannot be skipped
 * by going to a later URL: the code is only issued once this returns no step.
 */
export function mfaStepsDue(input: GateInput): MfaSteps {
  const { requirement } = input;
  if (mfaLeftToUpstream(requirement)) return { enroll: false, challenge: false };
  // A company IdP's proven MFA (mfa: "idp", no Pay role: the multi-factor acr) satisfies other
  // companies' rules without a factor here; a Pay role never gets that acr from an IdP.
  if (!input.enrolled && !requiredForPay(requirement) && requirement.federation?.mode === 'idp' && mfaIsFresh(input.session, requirement.reverifySeconds, input.nowSeconds)) {
    return { enroll: false, challenge: false };
  }
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

/** Our acr values, weakest first: an authentication satisfies its own class and every weaker one. */
const ACR_STRENGTH: readonly string[] = [ACR.singleFactor, ACR.multiFactor];

/** Does an authentication whose class is `achieved` satisfy a request for `requested`? Unknown values satisfy nothing. */
export function acrSatisfies(achieved: string, requested: string): boolean {
  const have = ACR_STRENGTH.indexOf(achieved);
  const want = ACR_STRENGTH.indexOf(requested);
  return have !== -1 && want !== -1 && have >= want;
}

/**
 * The acr values an essential acr request accepts (`value` and `values` together), or undefined when
 * acr is not requested as essential, or essential without values (any acr will do).
 */
export function essentialAcrValues(acrClaim: unknown): string[] | undefined {
  const parsed = ClaimRequest.safeParse(acrClaim);
  if (!parsed.success || !parsed.data?.essential) return undefined;
  const { value, values } = parsed.data;
  if (value === undefined && values === undefined) return undefined;
  return [...(values ?? []), ...(value === undefined ? [] : [value])];
}

/**
 * Can no authentication of ours meet this essential acr request? Then OIDC Core 5.5.1.1 makes it a
 * failed authentication: `unmet_authentication_requirements`, before anyone is asked to log in.
 */
export function essentialAcrUnmet(acrClaim: unknown): boolean {
  const values = essentialAcrValues(acrClaim);
  return values !== undefined && !values.some((value) => ACR_STRENGTH.includes(value));
}

/**
 * Did the relying app ask for multi-factor authentication? `acr_values` naming the MFA acr does (our
 * step-up convention, though the parameter is voluntary); an essential acr request does when none of
 * the values it accepts is met by one factor. A malformed acr request (refused at the authorization
 * endpoint, so only reachable through a bug), or one with no value of ours, counts as asking: it fails closed.
 */
export function stepUpRequested(acrValues: unknown, acrClaim: unknown): boolean {
  const requested = typeof acrValues === 'string' ? acrValues.split(' ') : [];
  if (requested.includes(ACR.multiFactor)) return true;
  if (!ClaimRequest.safeParse(acrClaim).success) return true;
  const accepted = essentialAcrValues(acrClaim);
  return accepted !== undefined && !accepted.some((value) => acrSatisfies(ACR.singleFactor, value));
}

/**
 * The `acr` an authorization asserts, given the class the session achieved and the request's acr claim.
 * An essential request gets one of the values it accepts (OIDC Core 5.5.1.1): the achieved one if listed,
 * else the strongest listed value it satisfies (an MFA login answers a request for the single-factor acr
 * with that acr). `unmet` when it satisfies none, which the gate prevents: issuing then fails closed.
 */
export function acrToAssert(achieved: string | undefined, acrClaim: unknown): { acr: string | undefined } | { unmet: true } {
  const accepted = essentialAcrValues(acrClaim);
  if (accepted === undefined || (achieved !== undefined && accepted.includes(achieved))) return { acr: achieved };
  const satisfied = ACR_STRENGTH.filter((value) => accepted.includes(value) && achieved !== undefined && acrSatisfies(achieved, value));
  const strongest = satisfied.at(-1);
  return strongest === undefined ? { unmet: true } : { acr: strongest };
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

/**
 * The session's `amr` and `acr` once MFA passed: the first factor it had (a password), what this
 * sign-in earned (otp, sms, recovery_code), and `mfa`.
 */
export function assuranceAfterMfa(sessionAmr: readonly string[] | undefined, earned: readonly string[]): { amr: string[]; acr: string } {
  const firstFactor = (sessionAmr ?? [AMR.password]).filter((v) => FIRST_FACTOR_AMR.includes(v));
  return { amr: [...new Set([...firstFactor, ...earned, AMR.multiFactor])], acr: ACR.multiFactor };
}
