import { z } from 'zod';
import { parseCookieKeys, parseEncryptionKeys, parseSigningKeys, type EncryptionKey, type SigningJwks } from './keys.ts';
import { sanitizeTotpIssuer } from '../mfa/factors/totp_uri.ts';

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
  MFA_ENCRYPTION_KEYS: z.string().min(1).optional(),
  MFA_MAX_FAILURES: z.coerce.number().int().positive().default(10),
  MFA_LOCK_MINUTES: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'a comma-separated list of minutes, e.g. 1,5,15,60')
    .default('1,5,15,60'),
  MFA_IP_MAX_FAILURES: z.coerce.number().int().positive().default(100),
  MFA_IP_WINDOW_SECONDS: z.coerce.number().int().positive().default(3600),
  TOTP_ISSUER: z.string().min(1).optional(),
  SMTP_URL: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default('Groundwork ID <no-reply@localhost>'),
});

export interface LoginLimits {
  account: { maxFailures: number; windowSeconds: number; lockSeconds: number };
  ip: { maxFailures: number; windowSeconds: number; lockSeconds: number };
}

export interface MfaLimits {
  /** Consecutive failures (any factor, any session) that lock the account's MFA step. */
  maxFailures: number;
  /** Lock durations for the 1st, 2nd, … lockout; the last repeats. */
  lockMinutes: number[];
  ip: { maxFailures: number; windowSeconds: number };
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
  mfaLimits: MfaLimits;
  /** Key id → 32-byte key, newest first; encrypts TOTP secrets at rest. */
  mfaEncryptionKeys: EncryptionKey[];
  /** The name authenticator apps show next to the account. */
  totpIssuer: string;
  mail: { smtpUrl: string | undefined; from: string };
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
    const missing = (['REDIS_URL', 'COOKIE_KEYS', 'SIGNING_KEYS', 'MFA_ENCRYPTION_KEYS'] as const).filter((name) => !e[name]);
    if (missing.length > 0) {
      throw new ConfigError(
        `Refusing to start in production without ${missing.join(', ')}. ` +
          'See .env.example; `npm run keys` generates cookie and signing keys.',
      );
    }
  }

  if (e.REDIS_URL && !e.MFA_ENCRYPTION_KEYS) {
    throw new ConfigError('MFA_ENCRYPTION_KEYS is required with REDIS_URL: secrets stored with a per-process key could not be read after a restart.');
  }

  const ephemeralKeys = !e.COOKIE_KEYS || !e.SIGNING_KEYS || !e.MFA_ENCRYPTION_KEYS;
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
      mfaLimits: {
        maxFailures: e.MFA_MAX_FAILURES,
        lockMinutes: e.MFA_LOCK_MINUTES.split(',').map(Number),
        ip: { maxFailures: e.MFA_IP_MAX_FAILURES, windowSeconds: e.MFA_IP_WINDOW_SECONDS },
      },
      mfaEncryptionKeys: parseEncryptionKeys(e.MFA_ENCRYPTION_KEYS),
      totpIssuer: sanitizeTotpIssuer(e.TOTP_ISSUER ?? 'Groundwork ID'),
      mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
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
