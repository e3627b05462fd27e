import type { ClientMetadata } from 'oidc-provider';

/** Our client metadata on top of the registered OAuth fields. */
export const FIRST_PARTY = 'first_party';
/** `false` lets a confidential client skip PKCE: a legacy switch for libraries that cannot send it. */
export const REQUIRE_PKCE = 'require_pkce';

/** How a client authenticates at the token, introspection and revocation endpoints. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** The methods that compare a shared secret; only they have a `client_secret`. */
export const SECRET_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** A secret shorter than this is refused at import: 32 random characters carry well over 128 bits. */
export const MIN_CLIENT_SECRET_LENGTH = 32;

export interface ClientRegistration {
  client_id: string;
  client_secret?: string | undefined;
  client_name?: string | undefined;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[] | undefined;
  first_party?: boolean | undefined;
  /** Defaults to `client_secret_basic` with a secret and `none` without. */
  token_endpoint_auth_method?: ClientAuthMethod | undefined;
  /** The client's public keys for `private_key_jwt`: inline, or where to fetch them. */
  jwks?: { keys: Record<string, unknown>[] } | undefined;
  jwks_uri?: string | undefined;
  require_pkce?: boolean | undefined;
  /** The scopes the client may ask for, space-separated (oidc-provider's `scope` metadata). */
  scope?: string | undefined;
}

/** What a client may ask for unless it is registered with a `scope`: everything but `admin`. */
export const DEFAULT_CLIENT_SCOPE = 'openid email profile offline_access';
/** The admin console's own client (interactions/admin_console): built in, so no seed may register it. */
export const CONSOLE_CLIENT_ID = 'admin-console';
/** Password & Security's own client (interactions/account): built in too. */
export const ACCOUNT_CLIENT_ID = 'account-security';
/** The built-in clients' ids, which no seed may register. */
export const BUILT_IN_CLIENT_IDS: readonly string[] = [CONSOLE_CLIENT_ID, ACCOUNT_CLIENT_ID];

/** The scope of the admin API: only a client whose `scope` lists it gets a token for it. */
export const ADMIN_SCOPE = 'admin';

export function authMethodOf(reg: Pick<ClientRegistration, 'client_secret' | 'token_endpoint_auth_method'>): ClientAuthMethod {
  return reg.token_endpoint_auth_method ?? (reg.client_secret !== undefined ? 'client_secret_basic' : 'none');
}

/** Turns a registration (seed file, demo app) into oidc-provider metadata: the code flow only. */
export function toClientMetadata(reg: ClientRegistration): ClientMetadata {
  const method = authMethodOf(reg);
  return {
    client_id: reg.client_id,
    ...(SECRET_AUTH_METHODS.includes(method) && reg.client_secret !== undefined ? { client_secret: reg.client_secret } : {}),
    ...(reg.client_name ? { client_name: reg.client_name } : {}),
    token_endpoint_auth_method: method,
    ...(reg.jwks ? { jwks: reg.jwks } : {}),
    ...(reg.jwks_uri ? { jwks_uri: reg.jwks_uri } : {}),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: reg.redirect_uris,
    post_logout_redirect_uris: reg.post_logout_redirect_uris ?? [],
    // Always set: oidc-provider lets a client without `scope` metadata ask for any scope, admin too.
    scope: reg.scope ?? DEFAULT_CLIENT_SCOPE,
    [FIRST_PARTY]: reg.first_party ?? false,
    // Public clients always use PKCE; the switch is stored only where it can apply.
    [REQUIRE_PKCE]: method === 'none' ? true : (reg.require_pkce ?? true),
  };
}

export function isFirstParty(metadata: Record<string, unknown>): boolean {
  return metadata[FIRST_PARTY] === true;
}

/**
 * Must this client send PKCE (S256)? Always, unless a confidential client is registered with
 * `require_pkce: false`. A public client cannot opt out: nothing else binds its code to it.
 */
export function pkceRequired(client: { clientAuthMethod?: string | undefined; metadata(): Record<string, unknown> }): boolean {
  return client.clientAuthMethod === undefined || client.clientAuthMethod === 'none' || client.metadata()[REQUIRE_PKCE] !== false;
}
