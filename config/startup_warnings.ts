import { isIP } from 'node:net';
import type { Config } from './config.ts';

export type StartupFacts = Pick<Config, 'env' | 'host' | 'issuer' | 'trustProxy' | 'ephemeralKeys' | 'redis'>;

export interface StartupWarning {
  id: 'development-reachable' | 'cookies-not-secure' | 'ephemeral-keys' | 'in-memory-store';
  message: string;
  /** Printed as a banner as well as logged: the setup is unsafe, not just unusual. */
  loud: boolean;
}

/**
 * What is risky about this configuration, decided here (pure) and printed by server.ts.
 * Configurations that can never be right are refused by loadConfig instead; these can be right on a
 * developer's machine and wrong anywhere else.
 */
export function startupWarnings(facts: StartupFacts): StartupWarning[] {
  const warnings: StartupWarning[] = [];
  // Anything but production mounts /demo (a published client secret) and may log SMS codes.
  if (facts.env !== 'production' && !isLoopback(facts.host)) {
    warnings.push({
      id: 'development-reachable',
      loud: true,
      message:
        `${facts.env.toUpperCase()} MODE IS LISTENING ON ${facts.host}, reachable from the network: /demo is mounted with a ` +
        'published client secret and SMS codes may be written to the log. Set NODE_ENV=production, or HOST=127.0.0.1.',
    });
  }
  // oidc-provider marks cookies Secure only when the request is (ctx.secure); this process speaks plain
  // HTTP, so behind TLS that is only known from X-Forwarded-Proto, which it reads with TRUST_PROXY.
  if (new URL(facts.issuer).protocol === 'https:' && !facts.trustProxy) {
    warnings.push({
      id: 'cookies-not-secure',
      loud: false,
      message: `ISSUER is ${facts.issuer} but TRUST_PROXY is off: session cookies will not be marked Secure, and the session cookie stays SameSite=Lax, so a form POST to /auth from an app loses single sign-on. Behind a TLS proxy, set TRUST_PROXY=true.`,
    });
  }
  if (facts.ephemeralKeys) {
    warnings.push({
      id: 'ephemeral-keys',
      loud: false,
      message: 'COOKIE_KEYS, SIGNING_KEYS or MFA_ENCRYPTION_KEYS not set: using keys generated for this process only. Sessions and tokens die with it. Run `npm run keys`.',
    });
  }
  if (!facts.redis) {
    warnings.push({
      id: 'in-memory-store',
      loud: false,
      message: 'REDIS_URL not set: using the IN-MEMORY store. All data is LOST on restart and cannot be shared between instances.',
    });
  }
  return warnings;
}

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}
