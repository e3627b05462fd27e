/**
 * Authentication context classes this provider asserts in the ID token's `acr`.
 * Relying apps request step-up by sending `acr_values=urn:idp:acr:mfa` (or an essential `acr` claim).
 */
export const ACR = {
  /** One factor: a password, or an upstream SSO login whose own MFA we do not know about. */
  singleFactor: 'urn:idp:acr:sfa',
  /** Two factors: the first factor plus one of ours (TOTP, SMS, recovery code) or a trusted upstream MFA. */
  multiFactor: 'urn:idp:acr:mfa',
} as const;

/** RFC 8176 authentication method references. */
export const AMR = {
  password: 'pwd',
  otp: 'otp',
  /** RFC 8176: confirmation by text message to a registered number. */
  sms: 'sms',
  multiFactor: 'mfa',
  /** Not registered in RFC 8176 (which allows others): the one-time recovery code was used. */
  recoveryCode: 'recovery_code',
} as const;

/** RFC 8176 "fed": the user authenticated at a federated IdP (a company's SSO). */
export const FEDERATED_AMR = 'fed';

/**
 * The amr values MFA keeps from the first factor: a password, or the federation. An IdP's own values
 * (its otp, say) are dropped once our MFA adds ours, so nothing in the amr is counted twice.
 */
export const FIRST_FACTOR_AMR: readonly string[] = [AMR.password, FEDERATED_AMR];
