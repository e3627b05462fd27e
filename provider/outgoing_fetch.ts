import { isLoopbackUrl } from '../lib/loopback.ts';

/**
 * oidc-provider's outgoing requests (a client's `jwks_uri`) go through a dispatcher that refuses
 * special-use addresses (loopback, private ranges): SSRF protection. Outside production, a loopback
 * URL is let through, so that tests and local development can serve a client's keys on this
 * machine, the same rule as for an upstream IdP's issuer. Production keeps the protection whole.
 */
export function outgoingFetch(allowLoopback: boolean): typeof fetch {
  return (input, init) => {
    if (!allowLoopback || !init || !isLoopbackUrl(new URL(input instanceof Request ? input.url : input))) return fetch(input, init);
    // Node's fetch takes undici's `dispatcher` option, which oidc-provider set to its SSRF guard.
    const unguarded: RequestInit & { dispatcher?: unknown } = { ...init };
    delete unguarded.dispatcher;
    return fetch(input, unguarded);
  };
}
