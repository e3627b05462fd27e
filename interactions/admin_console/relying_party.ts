import { createHmac, randomBytes } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import * as oidc from 'openid-client';
import { ACR } from '../../mfa/assurance.ts';
import { CONSOLE_CLIENT_ID, toClientMetadata } from '../../provider/clients.ts';
import type { LoginState } from './session.ts';

/**
 * The console is a relying party of this provider, like any app: every login rule applies to
 * admins, MFA included. It is a confidential first-party client; its secret is derived from the
 * first COOKIE_KEYS key, so every instance sharing the keys shares it and nobody configures it.
 */
export const CONSOLE_SCOPE = 'openid email profile';

export function consoleClientSecret(cookieKeys: readonly string[]): string {
  return createHmac('sha256', cookieKeys[0] ?? '').update('admin-console client secret').digest('base64url');
}

export function consoleClient(issuer: string, secret: string): ClientMetadata {
  return toClientMetadata({
    client_id: CONSOLE_CLIENT_ID,
    client_secret: secret,
    client_name: 'Company Admin',
    redirect_uris: [`${issuer}/admin/callback`],
    post_logout_redirect_uris: [`${issuer}/admin/signed-out`],
    first_party: true,
    scope: CONSOLE_SCOPE,
  });
}

/** Who signed in to the console, from the verified ID token. */
export interface ConsoleSignIn {
  userId: string;
  acr: string | undefined;
  /** Epoch seconds. */
  authTime: number;
  /** Seconds between the authentication and the ID token's issue (its age at this sign-in). */
  authAge: number;
  idToken: string;
}

export class ConsoleRelyingParty {
  readonly issuer: string;
  readonly #secret: string;
  #config: Promise<oidc.Configuration> | undefined;

  constructor(issuer: string, secret: string) {
    this.issuer = issuer;
    this.#secret = secret;
  }

  /** A new sign-in's state; `returnTo` is a console path. */
  static newLogin(returnTo: string, reauth: boolean): LoginState {
    return { state: randomBytes(16).toString('base64url'), nonce: randomBytes(16).toString('base64url'), verifier: oidc.randomPKCECodeVerifier(), returnTo, reauth };
  }

  /**
   * Always asks for the multi-factor acr. A re-authentication sends `max_age` and `prompt=login`:
   * the admin proves the password and a second factor again, whatever the provider session's age.
   */
  async authorizationUrl(login: LoginState, maxAge: number | undefined): Promise<URL> {
    return oidc.buildAuthorizationUrl(await this.#configuration(), {
      redirect_uri: `${this.issuer}/admin/callback`,
      scope: CONSOLE_SCOPE,
      acr_values: ACR.multiFactor,
      code_challenge: await oidc.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
      ...(maxAge === undefined ? {} : { max_age: String(maxAge), prompt: 'login' }),
    });
  }

  /** Exchanges the callback's code; throws on any mismatch (state, nonce, PKCE, ID token, max_age). */
  async finish(callbackUrl: URL, login: LoginState, maxAge: number | undefined): Promise<ConsoleSignIn> {
    const tokens = await oidc.authorizationCodeGrant(await this.#configuration(), callbackUrl, {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
      ...(maxAge === undefined ? {} : { maxAge }),
    });
    const claims = tokens.claims();
    if (!claims || typeof claims.auth_time !== 'number' || tokens.id_token === undefined) throw new Error('the ID token has no auth_time');
    return { userId: claims.sub, acr: typeof claims['acr'] === 'string' ? claims['acr'] : undefined, authTime: claims.auth_time, authAge: Math.max(0, claims.iat - claims.auth_time), idToken: tokens.id_token };
  }

  /** RP-initiated logout at the provider, back to the console's signed-out page. */
  async endSessionUrl(idToken: string | undefined): Promise<URL> {
    return oidc.buildEndSessionUrl(await this.#configuration(), {
      post_logout_redirect_uri: `${this.issuer}/admin/signed-out`,
      ...(idToken ? { id_token_hint: idToken } : {}),
    });
  }

  /** Discovery over HTTP at our own ISSUER, once (retried after a failure). */
  #configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const options = this.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {};
      const config = oidc.discovery(new URL(this.issuer), CONSOLE_CLIENT_ID, undefined, oidc.ClientSecretBasic(this.#secret), options);
      config.catch(() => {
        this.#config = undefined;
      });
      this.#config = config;
    }
    return this.#config;
  }
}
