import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { isLoopbackUrl } from '../lib/loopback.ts';
import type { Clock } from '../lib/clock.ts';
import type { OidcSsoConnection } from '../directory/types.ts';
import type { SsoFailureReason } from './failures.ts';

/** What the upstream's ID token says about the user and how they authenticated. */
export interface UpstreamIdentity {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
  name: string | undefined;
  givenName: string | undefined;
  familyName: string | undefined;
  amr: string[];
  acr: string | undefined;
  /** Epoch seconds; the token's `iat` when the IdP leaves `auth_time` out. */
  authTime: number;
  /** The ID token's `iat`, by the IdP's clock like `auth_time`. */
  issuedAt: number;
}

/** The IdP could not be reached, or answered its discovery or token endpoint with a server error. */
export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
}

/** The IdP's answer failed a check (or carried an error): nobody is logged in. */
export class UpstreamRefusedError extends Error {
  override name = 'UpstreamRefusedError';
  readonly reason: SsoFailureReason;
  constructor(reason: SsoFailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A new nonce and PKCE verifier for one sign-in. */
export function newSignInChecks(): { nonce: string; codeVerifier: string } {
  return { nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
}

export interface UpstreamClientOptions {
  /** `$ISSUER/sso/callback`: the one redirect URI every company's IdP registers. */
  redirectUri: string;
  /** Outside production an issuer may be plain http on a loopback address (tests, local IdPs). */
  allowLoopbackHttp: boolean;
  /** How long a discovered configuration is reused before it is fetched again. */
  discoveryTtlSeconds: number;
  /** Each HTTP request to an IdP (discovery, keys, token) gives up after this long. */
  timeoutSeconds: number;
  clock: Clock;
}

export interface AuthorizationParams {
  state: string;
  nonce: string;
  codeVerifier: string;
  loginHint: string | undefined;
  acrValues: string | undefined;
  prompt: 'login' | undefined;
  maxAge: number | undefined;
}

/**
 * openid-client (v6) towards the companies' IdPs: discovery (cached, with a TTL), the authorization
 * code flow with PKCE, state and nonce in query response mode, and the ID token's checks (signature,
 * iss, aud, exp, nonce, and auth_time against max_age). Every failure becomes one of the two errors above.
 */
export class UpstreamClients {
  readonly #options: UpstreamClientOptions;
  readonly #configurations = new Map<string, { configuration: Promise<oidc.Configuration>; expiresAt: number }>();

  constructor(options: UpstreamClientOptions) {
    this.#options = options;
  }

  async authorizationUrl(connection: OidcSsoConnection, clientSecret: string, params: AuthorizationParams): Promise<URL> {
    const configuration = await this.#configuration(connection, clientSecret);
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.#options.redirectUri,
      scope: connection.scopes.join(' '),
      response_type: 'code',
      // A GET back to us: the interaction cookie (SameSite=Lax) comes with it; a cross-site form_post would not carry it.
      response_mode: 'query',
      state: params.state,
      nonce: params.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(params.codeVerifier),
      code_challenge_method: 'S256',
      ...(params.loginHint === undefined ? {} : { login_hint: params.loginHint }),
      ...(params.acrValues === undefined ? {} : { acr_values: params.acrValues }),
      ...(params.prompt === undefined ? {} : { prompt: params.prompt }),
      ...(params.maxAge === undefined ? {} : { max_age: String(params.maxAge) }),
    });
  }

  /** Redeems the code of a callback whose state was already matched to its sign-in. */
  async identity(
    connection: OidcSsoConnection,
    clientSecret: string,
    callback: URL,
    checks: { state: string; nonce: string; codeVerifier: string; maxAge: number | undefined },
  ): Promise<UpstreamIdentity> {
    const configuration = await this.#configuration(connection, clientSecret);
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
        ...(checks.maxAge === undefined ? {} : { maxAge: checks.maxAge }),
      });
      const claims = tokens.claims();
      if (!claims) throw new UpstreamRefusedError('invalid_response', 'the token response has no ID token');
      return identityOf(claims);
    } catch (err) {
      throw classify(err);
    }
  }

  #configuration(connection: OidcSsoConnection, clientSecret: string): Promise<oidc.Configuration> {
    // The key changes with anything that changes the configuration, the secret by its hash only.
    const secretHash = createHash('sha256').update(clientSecret).digest('base64url');
    const key = JSON.stringify([connection.issuer, connection.clientId, secretHash]);
    const now = this.#options.clock();
    const cached = this.#configurations.get(key);
    if (cached && cached.expiresAt > now) return cached.configuration;
    const configuration = this.#discover(connection, clientSecret);
    this.#configurations.set(key, { configuration, expiresAt: now + this.#options.discoveryTtlSeconds * 1000 });
    // A failed discovery is not kept: the next sign-in tries again.
    configuration.catch(() => {
      if (this.#configurations.get(key)?.configuration === configuration) this.#configurations.delete(key);
    });
    return configuration;
  }

  async #discover(connection: OidcSsoConnection, clientSecret: string): Promise<oidc.Configuration> {
    const issuer = new URL(connection.issuer);
    const insecure = issuer.protocol === 'http:' && isLoopbackUrl(issuer) && this.#options.allowLoopbackHttp;
    try {
      const configuration = await oidc.discovery(issuer, connection.clientId, { client_secret: clientSecret }, oidc.ClientSecretPost(clientSecret), {
        timeout: this.#options.timeoutSeconds,
        execute: [
          ...(insecure ? [oidc.allowInsecureRequests] : []),
          // Verify the ID token's signature against the IdP's keys, not only TLS: a token is evidence.
          oidc.enableNonRepudiationChecks,
        ],
      });
      return configuration;
    } catch (err) {
      const classified = classify(err);
      throw classified instanceof UpstreamRefusedError ? new UpstreamUnavailableError(`discovery failed: ${classified.message}`) : classified;
    }
  }
}

function identityOf(claims: oidc.IDToken): UpstreamIdentity {
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const amr = Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [];
  return {
    subject: claims.sub,
    email: text(claims['email']),
    // Only a literal true counts: "true" as a string, or absent, is unverified. Entra ID sends no
    // email_verified; its optional claim xms_edov (the email's domain is verified by the tenant) stands in.
    emailVerified: claims['email_verified'] === true || (claims['email_verified'] === undefined && claims['xms_edov'] === true),
    name: text(claims['name']),
    givenName: text(claims['given_name']),
    familyName: text(claims['family_name']),
    amr,
    acr: text(claims.acr),
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time : claims.iat,
    issuedAt: claims.iat,
  };
}

/** Maps openid-client's errors to ours. Unexpected ones (a bug) are refusals too: never a login. */
function classify(err: unknown): UpstreamUnavailableError | UpstreamRefusedError {
  if (err instanceof UpstreamRefusedError || err instanceof UpstreamUnavailableError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // fetch failures (refused, reset, DNS) and timeouts.
  if (err instanceof TypeError || (err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError'))) {
    return new UpstreamUnavailableError(message);
  }
  if (err instanceof oidc.AuthorizationResponseError) return new UpstreamRefusedError('upstream_error', `the IdP returned ${err.error}`);
  if (err instanceof oidc.ResponseBodyError) {
    return err.status >= 500 ? new UpstreamUnavailableError(message) : new UpstreamRefusedError('token_refused', `the token endpoint returned ${err.error}`);
  }
  if (err instanceof oidc.ClientError) {
    switch (err.code) {
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
        return new UpstreamUnavailableError(message);
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED': {
        const claim = comparedClaim(err);
        if (claim === 'nonce') return new UpstreamRefusedError('nonce_mismatch', 'the ID token has another nonce');
        if (claim === 'aud' || claim === 'azp') return new UpstreamRefusedError('wrong_audience', 'the ID token is for another client');
        if (claim === 'iss') return new UpstreamRefusedError('wrong_issuer', 'the ID token is from another issuer');
        return new UpstreamRefusedError('invalid_id_token', `the ID token's ${claim ?? 'claims'} failed a check`);
      }
      case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
        return new UpstreamRefusedError('expired_id_token', 'the ID token is expired, not yet valid, or too old for max_age');
      default:
        return new UpstreamRefusedError('invalid_response', `${message} (${err.code ?? 'no code'})`);
    }
  }
  return new UpstreamRefusedError('invalid_response', message);
}

/** oauth4webapi names the failed claim on the cause of openid-client's error. */
function comparedClaim(err: Error): string | undefined {
  const cause: unknown = err.cause;
  if (!(cause instanceof Error) || typeof cause.cause !== 'object' || cause.cause === null || !('claim' in cause.cause)) return undefined;
  return typeof cause.cause.claim === 'string' ? cause.cause.claim : undefined;
}
