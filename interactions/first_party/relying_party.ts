import { createHmac, randomBytes } from 'node:crypto';
import type { ClientMetadata } from 'oidc-provider';
import * as oidc from 'openid-client';
import { ACR } from '../../mfa/assurance.ts';
import { toClientMetadata } from '../../provider/clients.ts';
import type { FirstPartySite } from './site.ts';
import type { LoginState } from './session.ts';

/**
 * A first-party site signs in as a confidential first-party client of this provider, like any app:
 * every login rule applies, MFA included. Its secret is derived from the first COOKIE_KEYS key and
 * the client id, so every instance sharing the keys shares it and nobody configures it.
 */
export const FIRST_PARTY_SCOPE = 'openid email profile';

export function firstPartyClientSecret(cookieKeys: readonly string[], clientId: string): string {
  return createHmac('sha256', cookieKeys[0] ?? '').update(`${clientId} client secret`).digest('base64url');
}

export function firstPartyClient(issuer: string, site: FirstPartySite, secret: string): ClientMetadata {
  return toClientMetadata({
    client_id: site.clientId,
    client_secret: secret,
    client_name: site.clientName,
    redirect_uris: [`${issuer}${site.basePath}/callback`],
    post_logout_redirect_uris: [`${issuer}${site.basePath}/signed-out`],
    first_party: true,
    scope: FIRST_PARTY_SCOPE,
  });
}

/** Who signed in, from the verified ID token. */
export interface FirstPartySignIn {
  userId: string;
  acr: string | undefined;
  /** Epoch seconds. */
  authTime: number;
  /** Seconds between the authentication and the ID token's issue (its age at this sign-in). */
  authAge: number;
  /** The provider session's id (`sid`), when the ID token carries one. */
  sid: string | undefined;
  idToken: string;
}

export class FirstPartyRelyingParty {
  readonly issuer: string;
  readonly #site: FirstPartySite;
  readonly #secret: string;
  #config: Promise<oidc.Configuration> | undefined;

  constructor(issuer: string, site: FirstPartySite, secret: string) {
    this.issuer = issuer;
    this.#site = site;
    this.#secret = secret;
  }

  /** A new sign-in's state; `returnTo` is a path of the site. */
  static newLogin(returnTo: string, reauth: boolean): LoginState {
    return { state: randomBytes(16).toString('base64url'), nonce: randomBytes(16).toString('base64url'), verifier: oidc.randomPKCECodeVerifier(), returnTo, reauth };
  }

  /**
   * Asks for the multi-factor acr where the site requires it. A re-authentication sends `max_age`
   * and `prompt=login`: the user signs in again (password, or their IdP, and a second factor where
   * one is due), whatever the provider session's age.
   */
  async authorizationUrl(login: LoginState, maxAge: number | undefined): Promise<URL> {
    return oidc.buildAuthorizationUrl(await this.#configuration(), {
      redirect_uri: `${this.issuer}${this.#site.basePath}/callback`,
      scope: FIRST_PARTY_SCOPE,
      ...(this.#site.requireMfa ? { acr_values: ACR.multiFactor } : {}),
      // oidc-provider puts `sid` in the ID token only when asked (or for clients registered for
      // front/back-channel logout): a replacement ends the user's other sessions but this one, by it.
      claims: JSON.stringify({ id_token: { sid: null } }),
      code_challenge: await oidc.calculatePKCECodeChallenge(login.verifier),
      code_challenge_method: 'S256',
      state: login.state,
      nonce: login.nonce,
      ...(maxAge === undefined ? {} : { max_age: String(maxAge), prompt: 'login' }),
    });
  }

  /** Exchanges the callback's code; throws on any mismatch (state, nonce, PKCE, ID token, max_age). */
  async finish(callbackUrl: URL, login: LoginState, maxAge: number | undefined): Promise<FirstPartySignIn> {
    const tokens = await oidc.authorizationCodeGrant(await this.#configuration(), callbackUrl, {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
      ...(maxAge === undefined ? {} : { maxAge }),
    });
    const claims = tokens.claims();
    if (!claims || typeof claims.auth_time !== 'number' || tokens.id_token === undefined) throw new Error('the ID token has no auth_time');
    return { userId: claims.sub, acr: typeof claims['acr'] === 'string' ? claims['acr'] : undefined, authTime: claims.auth_time, authAge: Math.max(0, claims.iat - claims.auth_time), sid: typeof claims['sid'] === 'string' ? claims['sid'] : undefined, idToken: tokens.id_token };
  }

  /** RP-initiated logout at the provider, back to the site's signed-out page. */
  async endSessionUrl(idToken: string | undefined): Promise<URL> {
    return oidc.buildEndSessionUrl(await this.#configuration(), {
      post_logout_redirect_uri: `${this.issuer}${this.#site.basePath}/signed-out`,
      ...(idToken ? { id_token_hint: idToken } : {}),
    });
  }

  /** Discovery over HTTP at our own ISSUER, once (retried after a failure). */
  #configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const options = this.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {};
      const config = oidc.discovery(new URL(this.issuer), this.#site.clientId, undefined, oidc.ClientSecretBasic(this.#secret), options);
      config.catch(() => {
        this.#config = undefined;
      });
      this.#config = config;
    }
    return this.#config;
  }
}
