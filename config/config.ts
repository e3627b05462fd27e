import { z } from 'zod';
import { parseCookieKeys, parseSigningKeys, type SigningJwks } from './keys.ts';

/** Every environment variable the service reads. `.env.example` documents each one. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  ISSUER: z.url().optional(),
  TRUST_PROXY: z.stringbool().default(false),
  REDIS_URL: z.string().min(1).optional(),
  REDIS_PREFIX: z.string().min(1).default('idp:'),
  COOKIE_KEYS: z.string().min(1).optional(),
  SIGNING_KEYS: z.string().min(1).optional(),
  SEED_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  LOGIN_ACCOUNT_MAX_FAILURES: z.coerce.number().int().positive().default(10),
  LOGIN_ACCOUNT_WINDOW_SECONDS: z.coerce.number().int().positive().default(15 * 60),
  LOGIN_ACCOUNT_LOCK_SECONDS: z.coerce.number().int().positive().default(15 * 60),
  LOGIN_IP_MAX_FAILURES: z.coerce.number().int().positive().default(100),
  LOGIN_IP_WINDOW_SECONDS: z.coerce.number().int().positive().default(3600),
  LOGIN_IP_LOCK_SECONDS: z.coerce.number().int().positive().default(3600),
});

export interface LoginLimits {
  account: { maxFailures: number; windowSeconds: number; lockSeconds: number };
  ip: { maxFailures: number; windowSeconds: number; lockSeconds: number };
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  issuer: string;
  trustProxy: boolean;
  redis: { url: string; prefix: string } | undefined;
  cookieKeys: string[];
  signingKeys: SigningJwks;
  /** True when keys were generated for this process only (development). */
  ephemeralKeys: boolean;
  seedFile: string | undefined;
  logLevel: string;
  sessionTtlSeconds: number;
  loginLimits: LoginLimits;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads and validates configuration. In production the three things that must be shared between
 * instances (Redis, cookie keys and signing keys) are required: an instance with its own ephemeral
 * keys would reject every other instance's cookies and tokens.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;

  if (e.NODE_ENV === 'production') {
    const missing = (['REDIS_URL', 'COOKIE_KEYS', 'SIGNING_KEYS'] as const).filter((name) => !e[name]);
    if (missing.length > 0) {
      throw new ConfigError(
        `Refusing to start in production without ${missing.join(', ')}. ` +
          'See .env.example; `npm run keys` generates cookie and signing keys.',
      );
    }
  }

  const ephemeralKeys = !e.COOKIE_KEYS || !e.SIGNING_KEYS;
  try {
    return {
      env: e.NODE_ENV,
      port: e.PORT,
      issuer: (e.ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
      trustProxy: e.TRUST_PROXY,
      redis: e.REDIS_URL ? { url: e.REDIS_URL, prefix: e.REDIS_PREFIX } : undefined,
      cookieKeys: parseCookieKeys(e.COOKIE_KEYS),
      signingKeys: parseSigningKeys(e.SIGNING_KEYS),
      ephemeralKeys,
      seedFile: e.SEED_FILE,
      logLevel: e.LOG_LEVEL,
      sessionTtlSeconds: e.SESSION_TTL_SECONDS,
      loginLimits: {
        account: {
          maxFailures: e.LOGIN_ACCOUNT_MAX_FAILURES,
          windowSeconds: e.LOGIN_ACCOUNT_WINDOW_SECONDS,
          lockSeconds: e.LOGIN_ACCOUNT_LOCK_SECONDS,
        },
        ip: {
          maxFailures: e.LOGIN_IP_MAX_FAILURES,
          windowSeconds: e.LOGIN_IP_WINDOW_SECONDS,
          lockSeconds: e.LOGIN_IP_LOCK_SECONDS,
        },
      },
    };
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
}
