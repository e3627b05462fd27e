import { z } from 'zod';
import { defaultReplicaAcks, redisTopology, type RedisTopology, type ReplicaAckPolicy } from './redis_topology.ts';
import { parseCookieKeys, parseEncryptionKeys, parseSigningKeys, type EncryptionKey, type SigningJwks } from './keys.ts';

/** Where SMS codes may go unless `SMS_COUNTRIES` says otherwise: the countries Procore supports. */
export const DEFAULT_SMS_COUNTRIES: readonly string[] = ['US', 'CA', 'MX', 'GB', 'IE', 'FR', 'DE', 'ES', 'IT', 'AU', 'NZ', 'SG', 'HK'];

/** Every environment variable the service reads. `.env.example` documents each one. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  ISSUER: z.url().optional(),
  TRUST_PROXY: z.stringbool().default(false),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().positive().optional(),
  REDIS_URL: z.string().min(1).optional(),
  REDIS_CLUSTER_NODES: z.string().min(1).optional(),
  REDIS_SENTINELS: z.string().min(1).optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_REPLICA_ACKS: z.coerce.number().int().nonnegative().optional(),
  // Below the 5 s socket timeout of a Redis connection (adapters/redis/client.ts), which would drop it mid-WAIT.
  REDIS_REPLICA_ACK_TIMEOUT_MS: z.coerce.number().int().positive().max(2000).default(500),
  // Braces would start a hash tag and move keys that must share a slot apart (adapters/redis/).
  REDIS_PREFIX: z.string().min(1).regex(/^[^{}]*$/, 'must not contain { or }').default('idp:'),
  COOKIE_KEYS: z.string().min(1).optional(),
  SIGNING_KEYS: z.string().min(1).optional(),
  SEED_FILE: z.string().min(1).optional(),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(15),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().positive().default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_SECONDS: z.coerce.number().int().positive().default(12 * 3600),
  REFRESH_ABSOLUTE_SECONDS: z.coerce.number().int().positive().default(30 * 86400),
  REFRESH_IDLE_SECONDS: z.coerce.number().int().positive().default(14 * 86400),
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
  SMS_GATEWAY: z.enum(['twilio', 'log']).default('log'),
  TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z.string().min(1).optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().min(1).optional(),
  TWILIO_API_BASE: z.url().default('https://api.twilio.com'),
  SMS_COUNTRIES: z
    .string()
    .regex(/^[A-Z]{2}(,[A-Z]{2})*$/, 'a comma-separated list of ISO country codes, e.g. US,CA,GB')
    .default(DEFAULT_SMS_COUNTRIES.join(',')),
  SMS_GATEWAY_TIMEOUT_SECONDS: z.coerce.number().positive().max(60).default(5),
  SMS_COOLDOWN_SECONDS: z.coerce.number().int().nonnegative().default(30),
  SMS_MAX_PER_NUMBER_HOUR: z.coerce.number().int().positive().default(5),
  SMS_MAX_PER_NUMBER_DAY: z.coerce.number().int().positive().default(10),
  SMS_MAX_PER_ACCOUNT_HOUR: z.coerce.number().int().positive().default(5),
  SMS_MAX_PER_ACCOUNT_DAY: z.coerce.number().int().positive().default(10),
  SMS_MAX_PER_IP_HOUR: z.coerce.number().int().positive().default(10),
  SMS_MAX_PER_IP_DAY: z.coerce.number().int().positive().default(30),
  SMS_MAX_PER_COUNTRY_HOUR: z.coerce.number().int().positive().default(500),
  SMS_MAX_PER_COUNTRY_DAY: z.coerce.number().int().positive().default(2000),
  SMS_MAX_PER_DAY: z.coerce.number().int().positive().default(10000),
  METRICS_TOKEN: z.string().min(16).optional(),
  SMTP_URL: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default('Groundwork ID <no-reply@localhost>'),
  SSO_DISCOVERY_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  SSO_HTTP_TIMEOUT_SECONDS: z.coerce.number().positive().default(5),
  ADMIN_REAUTH_SECONDS: z.coerce.number().int().positive().default(900),
  ADMIN_SESSION_IDLE_SECONDS: z.coerce.number().int().positive().default(30 * 60),
  ADMIN_SESSION_MAX_SECONDS: z.coerce.number().int().positive().default(8 * 3600),
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

export interface SmsLimits {
  cooldownSeconds: number;
  perNumber: { hour: number; day: number };
  perAccount: { hour: number; day: number };
  perIp: { hour: number; day: number };
  perCountry: { hour: number; day: number };
  globalPerDay: number;
}

export type SmsGatewayConfig =
  | { kind: 'log' }
  | {
      kind: 'twilio';
      accountSid: string;
      authToken: string;
      from: { from: string } | { messagingServiceSid: string };
      apiBase: string;
      /** How long one request to the gateway may take (SMS_GATEWAY_TIMEOUT_SECONDS); a send makes at most two. */
      timeoutMs: number;
    };

export interface AdminConsoleConfig {
  /** A change needs an authentication younger than this; an older one is sent through the provider again (max_age). */
  reauthSeconds: number;
  /** The console's own session ends after this long without a request… */
  sessionIdleSeconds: number;
  /** …and this long after its sign-in, whatever happens. */
  sessionMaxSeconds: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  /** Interface to listen on: loopback in development, every interface in production (containers). */
  host: string;
  issuer: string;
  trustProxy: boolean;
  /**
   * With `trustProxy`: how many proxies in front of us append to X-Forwarded-For. The client address
   * is that many entries from the right; anything further left was written by the client.
   */
  trustedProxyHops: number;
  /** The shared store; undefined means the in-memory stores. */
  redis: { topology: RedisTopology; prefix: string; replicaAcks: ReplicaAckPolicy } | undefined;
  cookieKeys: string[];
  signingKeys: SigningJwks;
  /** True when keys were generated for this process only (development). */
  ephemeralKeys: boolean;
  seedFile: string | undefined;
  logLevel: string;
  /** Longest a request may wait (e.g. on a stalled Redis) before it is answered 503. */
  requestTimeoutMs: number;
  /** On SIGTERM, in-flight requests get this long to finish before the process exits anyway. */
  shutdownGraceMs: number;
  sessionTtlSeconds: number;
  /** A refresh chain's lifetime from the first login, and per token unused (see docs/decisions.md). */
  refreshTokens: { absoluteSeconds: number; idleSeconds: number };
  loginLimits: LoginLimits;
  mfaLimits: MfaLimits;
  /** Key id → 32-byte key, newest first; encrypts TOTP secrets at rest. */
  mfaEncryptionKeys: EncryptionKey[];
  /** The name authenticator apps show next to the account. */
  totpIssuer: string;
  mail: { smtpUrl: string | undefined; from: string };
  /** Upstream SSO: how long an IdP's discovered configuration is reused, and each request's timeout. */
  sso: { discoveryTtlSeconds: number; timeoutSeconds: number };
  admin: AdminConsoleConfig;
  sms: { gateway: SmsGatewayConfig; countries: string[]; limits: SmsLimits };
  /** Bearer token for /metrics; unset: /metrics is not served. */
  metricsToken: string | undefined;
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

  let topology: RedisTopology | undefined;
  try {
    topology = redisTopology(e);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }

  if (e.NODE_ENV === 'production') {
    const missing: string[] = (['COOKIE_KEYS', 'SIGNING_KEYS', 'MFA_ENCRYPTION_KEYS'] as const).filter((name) => !e[name]);
    if (!topology) missing.unshift('REDIS_URL');
    if (missing.length > 0) {
      throw new ConfigError(
        `Refusing to start in production without ${missing.join(', ')}. ` +
          'See .env.example (REDIS_CLUSTER_NODES or REDIS_SENTINELS may stand in for REDIS_URL); `npm run keys` generates cookie and signing keys.',
      );
    }
  }

  if (e.SMS_GATEWAY === 'log' && e.NODE_ENV === 'production') {
    throw new ConfigError('SMS_GATEWAY=log writes codes to the log and is for development only; set SMS_GATEWAY=twilio in production.');
  }
  if (e.SMS_GATEWAY === 'twilio') {
    const missing: string[] = (['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'] as const).filter((name) => !e[name]);
    if (!e.TWILIO_FROM && !e.TWILIO_MESSAGING_SERVICE_SID) missing.push('TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID');
    if (missing.length > 0) throw new ConfigError(`SMS_GATEWAY=twilio needs ${missing.join(', ')}.`);
  }
  if (e.TRUSTED_PROXY_HOPS !== undefined && !e.TRUST_PROXY) {
    throw new ConfigError('TRUSTED_PROXY_HOPS needs TRUST_PROXY=true: without it X-Forwarded-For is ignored.');
  }
  if (topology && !e.MFA_ENCRYPTION_KEYS) {
    throw new ConfigError('MFA_ENCRYPTION_KEYS is required with Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS): secrets stored with a per-process key could not be read after a restart.');
  }

  const ephemeralKeys = !e.COOKIE_KEYS || !e.SIGNING_KEYS || !e.MFA_ENCRYPTION_KEYS;
  try {
    return {
      env: e.NODE_ENV,
      port: e.PORT,
      host: e.HOST ?? (e.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
      issuer: (e.ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
      trustProxy: e.TRUST_PROXY,
      trustedProxyHops: e.TRUSTED_PROXY_HOPS ?? 1,
      redis: topology && {
        topology,
        prefix: e.REDIS_PREFIX,
        replicaAcks: { replicas: e.REDIS_REPLICA_ACKS ?? defaultReplicaAcks(topology), timeoutMs: e.REDIS_REPLICA_ACK_TIMEOUT_MS },
      },
      cookieKeys: parseCookieKeys(e.COOKIE_KEYS),
      signingKeys: parseSigningKeys(e.SIGNING_KEYS),
      ephemeralKeys,
      seedFile: e.SEED_FILE,
      logLevel: e.LOG_LEVEL,
      requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
      shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
      sessionTtlSeconds: e.SESSION_TTL_SECONDS,
      refreshTokens: { absoluteSeconds: e.REFRESH_ABSOLUTE_SECONDS, idleSeconds: e.REFRESH_IDLE_SECONDS },
      mfaLimits: {
        maxFailures: e.MFA_MAX_FAILURES,
        lockMinutes: e.MFA_LOCK_MINUTES.split(',').map(Number),
        ip: { maxFailures: e.MFA_IP_MAX_FAILURES, windowSeconds: e.MFA_IP_WINDOW_SECONDS },
      },
      mfaEncryptionKeys: parseEncryptionKeys(e.MFA_ENCRYPTION_KEYS),
      // The otpauth URI drops what its grammar forbids (mfa/factors/totp/uri.ts).
      totpIssuer: e.TOTP_ISSUER ?? 'Groundwork ID',
      mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
      sso: { discoveryTtlSeconds: e.SSO_DISCOVERY_TTL_SECONDS, timeoutSeconds: e.SSO_HTTP_TIMEOUT_SECONDS },
      admin: { reauthSeconds: e.ADMIN_REAUTH_SECONDS, sessionIdleSeconds: e.ADMIN_SESSION_IDLE_SECONDS, sessionMaxSeconds: e.ADMIN_SESSION_MAX_SECONDS },
      sms: {
        gateway:
          e.SMS_GATEWAY === 'twilio'
            ? {
                kind: 'twilio',
                accountSid: e.TWILIO_ACCOUNT_SID ?? '',
                authToken: e.TWILIO_AUTH_TOKEN ?? '',
                from: e.TWILIO_MESSAGING_SERVICE_SID ? { messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID } : { from: e.TWILIO_FROM ?? '' },
                apiBase: e.TWILIO_API_BASE.replace(/\/$/, ''),
                timeoutMs: e.SMS_GATEWAY_TIMEOUT_SECONDS * 1000,
              }
            : { kind: 'log' },
        countries: e.SMS_COUNTRIES.split(','),
        limits: {
          cooldownSeconds: e.SMS_COOLDOWN_SECONDS,
          perNumber: { hour: e.SMS_MAX_PER_NUMBER_HOUR, day: e.SMS_MAX_PER_NUMBER_DAY },
          perAccount: { hour: e.SMS_MAX_PER_ACCOUNT_HOUR, day: e.SMS_MAX_PER_ACCOUNT_DAY },
          perIp: { hour: e.SMS_MAX_PER_IP_HOUR, day: e.SMS_MAX_PER_IP_DAY },
          perCountry: { hour: e.SMS_MAX_PER_COUNTRY_HOUR, day: e.SMS_MAX_PER_COUNTRY_DAY },
          globalPerDay: e.SMS_MAX_PER_DAY,
        },
      },
      metricsToken: e.METRICS_TOKEN,
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
