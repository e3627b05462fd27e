import type Provider from 'oidc-provider';

/** A middleware on oidc-provider's own Koa app (provider.use), typed from it: Koa stays in the web layer. */
export type ProviderMiddleware = Parameters<Provider['use']>[0];
