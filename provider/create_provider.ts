import Provider from 'oidc-provider';
import { providerConfiguration, type ProviderSettings } from './configuration.ts';

export function createProvider(issuer: string, settings: ProviderSettings, trustProxy: boolean): Provider {
  const provider = new Provider(issuer, providerConfiguration(settings));
  // Behind TLS offloading, oidc-provider must trust X-Forwarded-Proto to set secure cookies.
  provider.proxy = trustProxy;
  return provider;
}
