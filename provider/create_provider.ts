import Provider from 'oidc-provider';
import { sameSiteLaxWithoutTls } from './same_site_fallback.ts';
import { assertRequestedAcr } from './asserted_acr.ts';
import { providerConfiguration, type ProviderSettings } from './configuration.ts';
import { revokeOfflineGrantsOnLogout } from './logout_revokes_offline.ts';
import { atomicReplayDetection } from './replay_detection.ts';

/** Whether a proxy sits in front, and how many proxies append to X-Forwarded-For. */
export interface ProxyTrust {
  trusted: boolean;
  hops: number;
}

export function createProvider(issuer: string, settings: ProviderSettings, proxy: ProxyTrust): Provider {
  const provider = new Provider(issuer, providerConfiguration(settings));
  // Behind TLS offloading, oidc-provider must trust X-Forwarded-Proto to set secure cookies.
  provider.proxy = proxy.trusted;
  // The client writes the left of X-Forwarded-For; each trusted proxy appends its peer's address on
  // the right. Koa keeps only the last `maxIpsCount` entries, so ctx.ip (used by every per-IP limit
  // and audit event) is the address the outermost trusted proxy saw, never a forged one.
  provider.maxIpsCount = proxy.trusted ? proxy.hops : 0;
  // First, so that it sees every Set-Cookie written further in.
  provider.use(sameSiteLaxWithoutTls);
  provider.use(revokeOfflineGrantsOnLogout);
  assertRequestedAcr(provider);
  atomicReplayDetection(provider);
  return provider;
}
