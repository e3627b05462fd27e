import type { ClientMetadata } from 'oidc-provider';

/** Our client metadata on top of the registered OAuth fields. */
export const FIRST_PARTY = 'first_party';

export interface ClientRegistration {
  client_id: string;
  client_secret?: string | undefined;
  client_name?: string | undefined;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[] | undefined;
  first_party?: boolean | undefined;
}

/**
 * Turns a registration (seed file, demo app) into oidc-provider metadata. Confidential clients
 * authenticate with `client_secret_basic`; public clients use `none` and rely on PKCE, which every
 * client must use anyway.
 */
export function toClientMetadata(reg: ClientRegistration): ClientMetadata {
  const confidential = reg.client_secret !== undefined;
  return {
    client_id: reg.client_id,
    ...(confidential ? { client_secret: reg.client_secret } : {}),
    ...(reg.client_name ? { client_name: reg.client_name } : {}),
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: reg.redirect_uris,
    post_logout_redirect_uris: reg.post_logout_redirect_uris ?? [],
    [FIRST_PARTY]: reg.first_party ?? false,
  };
}

export function isFirstParty(metadata: Record<string, unknown>): boolean {
  return metadata[FIRST_PARTY] === true;
}
