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

/** The amr values a first factor may set; MFA keeps these and adds its own. */
export const FIRST_FACTOR_AMR: readonly string[] = [AMR.password];
