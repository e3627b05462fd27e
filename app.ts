// The composition root: configuration → stores → provider → koa app. server.ts only listens.
import { join } from 'node:path';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { memoryStores, redisStores, type Stores } from './adapters/stores.ts';
import type { Config } from './config/config.ts';
import { demoClients, demoRoutes } from './demo/relying_party.ts';
import { interactionRoutes } from './interactions/router.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { SecretBox } from './lib/secret_box.ts';
import { RecoveryCodeFactor } from './mfa/factors/recovery_code.ts';
import { TotpFactor } from './mfa/factors/totp.ts';
import { MfaLockout } from './mfa/lockout.ts';
import { Mfa } from './mfa/mfa.ts';
import { SecurityEvents } from './mfa/security_events.ts';
import { logMailer, smtpMailer, type Mailer } from './notifications/mailer.ts';
import { theme } from './views/theme.ts';
import { errorPages } from './ops/error_pages.ts';
import { healthRoutes } from './ops/health.ts';
import { requestLog } from './ops/request_log.ts';
import { securityHeaders } from './ops/security_headers.ts';
import { createProvider } from './provider/create_provider.ts';
import { findAccountIn } from './provider/find_account.ts';
import { LoginThrottle } from './security/login_throttle.ts';
import { importSeed, readSeedFile, type SeedSummary } from './seed/import.ts';
import { serveAssets } from './views/assets.ts';
import { renderPage } from './views/render.ts';

export const DEMO_SEED_FILE = join(import.meta.dirname, 'seed', 'demo.json');

export interface Idp {
  /** The koa application (oidc-provider's Provider is a Koa subclass). */
  app: Provider;
  stores: Stores;
  seeded: { file: string; summary: SeedSummary } | undefined;
  demo: boolean;
  close(): Promise<void>;
}

export interface IdpOptions {
  logger: Logger;
  /** Tests pass stores (and a clock) to share a backend between instances or move time. */
  stores?: Stores;
  clock?: Clock;
  mailer?: Mailer;
}

function createMfa(config: Config, stores: Stores, box: SecretBox, clock: Clock, mailer: Mailer, logger: Logger): Mfa {
  const totp = new TotpFactor({ store: stores.mfaFactors, flow: stores.flow, box, issuer: config.totpIssuer, clock });
  return new Mfa({
    directory: stores.directory,
    store: stores.mfaFactors,
    flow: stores.flow,
    totp,
    recoveryCode: new RecoveryCodeFactor(stores.mfaFactors),
    lockout: new MfaLockout(stores.mfaLockout, config.mfaLimits, clock, stores.limiters),
    events: new SecurityEvents({ audit: stores.audit, mailer, directory: stores.directory, clock, logger, productName: theme.productName }),
    box,
    clock,
    sessionTtlSeconds: config.sessionTtlSeconds,
  });
}

export async function createIdp(config: Config, options: IdpOptions): Promise<Idp> {
  const { logger } = options;
  const stores = options.stores ?? (config.redis ? await redisStores(config.redis.url, config.redis.prefix, logger) : memoryStores(options.clock));

  // The in-memory store starts empty, so it gets the demo data unless a seed file is named.
  const seedFile = config.seedFile ?? (stores.kind === 'memory' ? DEMO_SEED_FILE : undefined);
  const box = new SecretBox(config.mfaEncryptionKeys);
  const seeded = seedFile ? { file: seedFile, summary: await importSeed(await readSeedFile(seedFile), { ...stores, box }) } : undefined;

  const clock = options.clock ?? systemClock;
  const mfa = createMfa(config, stores, box, clock, options.mailer ?? (config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl, config.mail.from) : logMailer(logger)), logger);

  const demo = config.env !== 'production';
  const provider = createProvider(
    config.issuer,
    {
      adapter: stores.oidcAdapter,
      findAccount: findAccountIn(stores.directory),
      cookieKeys: config.cookieKeys,
      signingKeys: config.signingKeys,
      sessionTtlSeconds: config.sessionTtlSeconds,
      staticClients: demo ? demoClients(config.issuer) : [],
      mfaStepsDue: (ctx) => {
        const { session } = ctx.oidc;
        if (!session?.accountId) return Promise.resolve({ enroll: false, challenge: false });
        return mfa.stepsDue({
          accountId: session.accountId,
          sessionUid: session.uid,
          session: { amr: session.amr ?? [], authTime: session.loginTs ?? 0 },
          acrValues: ctx.oidc.params?.['acr_values'],
          acrClaim: ctx.oidc.claims.id_token?.acr ?? undefined,
        });
      },
    },
    config.trustProxy,
  );

  // provider.use() inserts before oidc-provider's own routes, in this order.
  provider.use(requestLog(logger));
  provider.use(errorPages(logger));
  provider.use(securityHeaders);
  provider.use(serveAssets);
  provider.use(healthRoutes(() => stores.ping()));
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/') renderPage(ctx, 'home', { title: 'Sign in' }, { demo });
    else await next();
  });
  if (demo) provider.use(demoRoutes(config.issuer));
  provider.use(
    interactionRoutes({
      provider,
      directory: stores.directory,
      throttle: new LoginThrottle(config.loginLimits, stores.limiters),
      mfa,
      clock,
      logger,
    }),
  );

  return { app: provider, stores, seeded, demo, close: () => stores.close() };
}
