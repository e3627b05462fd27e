// The composition root: configuration → stores → provider → koa app. server.ts only listens.
import { join } from 'node:path';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { withSealedClientSecrets } from './adapters/sealed_client_secrets.ts';
import { withCachedClients } from './adapters/cached_clients.ts';
import { withEndedSessions } from './adapters/ended_sessions.ts';
import { memoryStores, redisStores, type Stores } from './adapters/stores.ts';
import type { Config } from './config/config.ts';
import { demoClients, demoRoutes } from './interactions/demo/relying_party.ts';
import { interactionRoutes, routeTable, type DeclaredRoute } from './interactions/routes.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { SecretBox } from './lib/secret_box.ts';
import { MfaLockout } from './mfa/lockout.ts';
import { acrClaimFromParam } from './mfa/gate.ts';
import { Mfa } from './mfa/service.ts';
import { SecurityEvents } from './audit/security_events.ts';
import { logMailer, smtpMailer, type Mailer } from './adapters/mail.ts';
import { MailDelivery } from './notify/delivery.ts';
import { logGateway, twilioGateway } from './adapters/sms_gateway.ts';
import { createFactors } from './mfa/registry.ts';
import { securityEmail } from './mfa/security_emails.ts';
import { signInsOn } from './provider/sign_ins.ts';
import { createMetrics, type Metrics } from './lib/metrics.ts';
import { metricsRoute } from './interactions/middleware/metrics_route.ts';
import { requestMetrics } from './interactions/middleware/request_metrics.ts';
import { timeTracingChannel } from './lib/trace_timing.ts';
import { PASSWORD_VERIFY_CHANNEL } from './directory/passwords.ts';
import { timeRedisCommands } from './adapters/redis/command_metrics.ts';
import { countTokenReuse } from './provider/token_reuse.ts';
import { theme } from './views/theme.ts';
import { errorPages } from './interactions/middleware/error_pages.ts';
import { healthRoutes } from './interactions/middleware/health.ts';
import { answerStoreOutagesAs503, logClientAuthFailures, logProviderServerErrors } from './interactions/middleware/provider_errors.ts';
import { logoutPages, renderError } from './interactions/provider_pages.ts';
import { pinPublicOrigin, refuseOtherHosts } from './interactions/middleware/public_origin.ts';
import { requestDeadline } from './interactions/middleware/request_deadline.ts';
import { requestLog } from './interactions/middleware/request_log.ts';
import { securityHeaders } from './interactions/middleware/security_headers.ts';
import { createProvider } from './provider/create_provider.ts';
import { findAccountIn } from './provider/find_account.ts';
import { refreshRefusal } from './provider/refresh_policy.ts';
import { LoginThrottle } from './directory/login_throttle.ts';
import { importSeed, readSeedFile, seedRules, type SeedSummary } from './seed/import.ts';
import { serveAssets } from './interactions/middleware/assets.ts';
import { renderPage } from './interactions/render.ts';
import { SSO_CALLBACK_PATH, ssoCallbackRoute } from './interactions/login/sso_callback.ts';
import { Federation } from './sso/service.ts';
import { UpstreamClients } from './sso/upstream.ts';
import { CompanyAdmin } from './admin/service.ts';
import { DeadlineNotices } from './admin/deadline_notices.ts';
import { adminConsoleRoutes } from './interactions/admin_console/routes.ts';
import { FirstPartySessions } from './interactions/first_party/session.ts';
import { FirstPartyRelyingParty, firstPartyClient, firstPartyClientSecret } from './interactions/first_party/relying_party.ts';
import { ADMIN_CONSOLE } from './interactions/admin_console/context.ts';
import { ACCOUNT_SITE } from './interactions/account/context.ts';
import { accountRoutes } from './interactions/account/routes.ts';
import { continueAfterSignIn } from './interactions/account/step_up.ts';
import { adminApiRoutes } from './interactions/admin_api/routes.ts';

export const DEMO_SEED_FILE = join(import.meta.dirname, 'seed', 'demo.json');
/** Password & Security: a change needs the password, and MFA, proved within the last 15 minutes. */
const STEP_UP_SECONDS = 15 * 60;
/** How often each instance looks for deadline reminders due (they go out on the day, in the company's zone). */
const DEADLINE_SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** How often each instance looks for email due (retries, and jobs a crashed instance left). */
const MAIL_DELIVERY_INTERVAL_MS = 5000;

export interface Idp {
  /** The koa application (oidc-provider's Provider is a Koa subclass). */
  app: Provider;
  stores: Stores;
  /** The MFA use cases (the admin console and self-service call them too). */
  mfa: Mfa;
  /** `$ISSUER/sso/callback`: the redirect URI every company's IdP registers. */
  ssoRedirectUri: string;
  /** Every interaction route with the step it is declared at. */
  interactionRoutes: readonly DeclaredRoute[];
  seeded: { file: string; summary: SeedSummary } | undefined;
  demo: boolean;
  /** The company admin's use cases (the console, the API and `npm run mfa-reset` call them). */
  admin: CompanyAdmin;
  /** The MFA deadline emails; `sweep()` queues the reminders due now (a timer runs it). */
  notices: DeadlineNotices;
  /** Sends queued email; also the MailQueue domain code enqueues on. Tests `drain()` it before reading the SMTP server. */
  mail: MailDelivery;
  /** SIGTERM: `/readyz` answers 503 from now on and responses close their connections. */
  beginShutdown(): void;
  close(): Promise<void>;
}

export interface IdpOptions {
  logger: Logger;
  /** Tests pass stores (and a clock) to share a backend between instances or move time. */
  stores?: Stores;
  clock?: Clock;
  mailer?: Mailer;
}

/** The longest a session, grant or token lives (the provider's Grant TTL): how long ended sessions stay recorded. */
function signInLifetimeSeconds(config: Config): number {
  return Math.max(config.sessionTtlSeconds, config.refreshTokens.absoluteSeconds);
}

function createMfa(config: Config, stores: Stores, box: SecretBox, clock: Clock, events: SecurityEvents, metrics: Metrics, logger: Logger, provider: () => Provider): Mfa {
  const factors = createFactors({
    store: stores.mfaFactors,
    flow: stores.flow,
    codes: stores.smsCodes,
    box,
    clock,
    events,
    metrics,
    makeLimiter: stores.limiters,
    totpIssuer: config.totpIssuer,
    issuerHost: new URL(config.issuer).host,
    sms: {
      gateway: config.sms.gateway.kind === 'twilio' ? twilioGateway(config.sms.gateway, logger) : logGateway(logger),
      countries: config.sms.countries,
      limits: config.sms.limits,
    },
  });
  return new Mfa({
    directory: stores.directory,
    store: stores.mfaFactors,
    flow: stores.flow,
    factors,
    smsCountries: config.sms.countries,
    lockout: new MfaLockout(stores.mfaLockout, config.mfaLimits, clock, stores.limiters),
    events,
    box,
    clock,
    sessionTtlSeconds: config.sessionTtlSeconds,
    signIns: signInsOn(provider, stores.oidcAccounts, signInLifetimeSeconds(config)),
    metrics,
  });
}

export async function createIdp(config: Config, options: IdpOptions): Promise<Idp> {
  const { logger } = options;
  const stores = options.stores ?? (config.redis ? await redisStores(config.redis.topology, config.redis.replicaAcks, config.redis.prefix, logger) : memoryStores(options.clock));

  // The in-memory store starts empty, so it gets the demo data unless a seed file is named.
  const seedFile = config.seedFile ?? (stores.kind === 'memory' ? DEMO_SEED_FILE : undefined);
  const box = new SecretBox(config.mfaEncryptionKeys);
  const seeded = seedFile ? { file: seedFile, summary: await importSeed(await readSeedFile(seedFile, seedRules(config)), { ...stores, box }) } : undefined;

  const clock = options.clock ?? systemClock;
  const metrics = createMetrics({ mailQueueStats: () => stores.mailOutbox.stats(), clock });
  // Timed through diagnostics channels (process-wide): argon2 in directory/passwords.ts, Redis in
  // node-redis. Only when /metrics is served: a traced Redis command costs ~2 µs of CPU (docs/metrics.md).
  const stopTimings =
    config.metricsToken === undefined
      ? []
      : [
          timeTracingChannel(PASSWORD_VERIFY_CHANNEL, (seconds) => {
            metrics.passwordVerifySeconds.observe(seconds);
          }),
          ...(stores.kind === 'redis' ? [timeRedisCommands(metrics.redisCommandSeconds)] : []),
        ];
  const mailer = options.mailer ?? (config.mail.smtpUrl ? smtpMailer(config.mail.smtpUrl, config.mail.from) : logMailer(logger));
  const mail = new MailDelivery({ outbox: stores.mailOutbox, mailer, clock, logger, metrics });
  // The timer is a safety net (retries, other instances' leftovers); each enqueue kicks a run at once.
  mail.start(MAIL_DELIVERY_INTERVAL_MS);
  const events = new SecurityEvents({ audit: stores.audit, mail, emailFor: securityEmail, directory: stores.directory, clock, logger, productName: theme.productName, metrics });
  // The MFA service ends sign-ins on the provider (created below), which asks it for its decisions.
  const mfa = createMfa(config, stores, box, clock, events, metrics, logger, () => provider);
  const ssoRedirectUri = `${config.issuer}${SSO_CALLBACK_PATH}`;
  const federation = new Federation({
    directory: stores.directory,
    flow: stores.flow,
    box,
    clock,
    events,
    requirementOf: (userId) => mfa.requirementOf(userId),
    upstream: new UpstreamClients({
      redirectUri: ssoRedirectUri,
      allowLoopbackHttp: config.env !== 'production',
      discoveryTtlSeconds: config.sso.discoveryTtlSeconds,
      timeoutSeconds: config.sso.timeoutSeconds,
      clock,
    }),
  });

  const demo = config.env !== 'production';
  const consoleSecret = firstPartyClientSecret(config.cookieKeys, ADMIN_CONSOLE.clientId);
  const accountSecret = firstPartyClientSecret(config.cookieKeys, ACCOUNT_SITE.clientId);
  const accountSessions = new FirstPartySessions({ site: ACCOUNT_SITE, flow: stores.flow, clock, idleSeconds: config.admin.sessionIdleSeconds, maxSeconds: config.admin.sessionMaxSeconds });
  const notices = new DeadlineNotices({ directory: stores.directory, mfa, queue: mail, clock, productName: theme.productName, setupUrl: `${config.issuer}/account/security` });
  const adminSessions = new FirstPartySessions({ site: ADMIN_CONSOLE, flow: stores.flow, clock, idleSeconds: config.admin.sessionIdleSeconds, maxSeconds: config.admin.sessionMaxSeconds });
  const providerSignIns = signInsOn(() => provider, stores.oidcAccounts, signInLifetimeSeconds(config));
  // An MFA reset ends the user's sessions at the provider and, for an admin, in the console too.
  const everySession = {
    async endEverySessionOf(id: string): Promise<void> {
      await Promise.all([providerSignIns.endEverySessionOf(id), adminSessions.endEveryOneOf(id), accountSessions.endEveryOneOf(id)]);
    },
  };
  const admin = new CompanyAdmin({ directory: stores.directory, mfa, audit: stores.audit, events, sessions: everySession, notices, clock });
  // Every instance sweeps; the once-only keys keep two sweeps from emailing twice.
  const sweep = setInterval(() => {
    notices.sweep().catch((err: unknown) => {
      logger.error({ err }, 'deadline reminder sweep failed');
    });
  }, DEADLINE_SWEEP_INTERVAL_MS);
  sweep.unref();
  const provider = createProvider(
    config.issuer,
    {
      // Client reads are reused for a few seconds on the wall clock (a test's frozen clock would keep them forever).
      adapter: withCachedClients(withEndedSessions(withSealedClientSecrets(stores.oidcAdapter, box), stores.oidcAccounts), systemClock),
      findAccount: findAccountIn(stores.directory),
      cookieKeys: config.cookieKeys,
      signingKeys: config.signingKeys,
      sessionTtlSeconds: config.sessionTtlSeconds,
      // The admin console is a client of ours in every environment; the demo apps only outside production.
      staticClients: [firstPartyClient(config.issuer, ADMIN_CONSOLE, consoleSecret), firstPartyClient(config.issuer, ACCOUNT_SITE, accountSecret), ...(demo ? demoClients(config.issuer) : [])],
      pages: { renderError, logout: logoutPages },
      mfaDecision: (ctx) => {
        const { session } = ctx.oidc;
        if (!session?.accountId) return Promise.resolve({ step: 'none' });
        return mfa.decide({
          accountId: session.accountId,
          sessionUid: session.uid,
          session: { amr: session.amr ?? [], acr: session.acr, authTime: session.loginTs ?? 0 },
          acrValues: ctx.oidc.params?.['acr_values'],
          // The raw parameter: oidc-provider's parsed claims lose an essential acr when acr_values is sent too.
          acrClaim: acrClaimFromParam(ctx.oidc.params?.['claims']),
        });
      },
      refreshLifetime: config.refreshTokens,
      allowLoopbackFetch: config.env !== 'production',
      refreshRefusal: async (accountId, { amr }) => {
        const [requirement, lock] = await Promise.all([mfa.requirementOf(accountId), stores.mfaLockout.read(accountId)]);
        return refreshRefusal({ amr, mfaRequired: requirement?.kind === 'required', federated: requirement?.federation !== undefined, mfaLockedUntil: lock.lockedUntil, now: clock() });
      },
    },
    { trusted: config.trustProxy, hops: config.trustedProxyHops },
  );

  // Endpoint URLs come from ISSUER, never from the Host or X-Forwarded-* headers (ops/public_origin.ts).
  pinPublicOrigin(provider, config.issuer);
  logProviderServerErrors(provider, logger);
  answerStoreOutagesAs503(provider);
  logClientAuthFailures(provider, logger);
  countTokenReuse(provider, metrics);

  // provider.use() inserts before oidc-provider's own routes, in this order.
  provider.use(requestMetrics(metrics));
  provider.use(requestLog(logger));
  provider.use(refuseOtherHosts(config.issuer));
  provider.use(errorPages(logger));
  provider.use(requestDeadline(config.requestTimeoutMs, logger));
  provider.use(securityHeaders);
  provider.use(serveAssets);
  let draining = false;
  provider.use(healthRoutes(() => stores.ping(), () => draining));
  provider.use(metricsRoute(metrics, config.metricsToken));
  provider.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/') renderPage(ctx, 'home', { title: 'Sign in' }, { demo });
    else await next();
  });
  if (demo) provider.use(demoRoutes(config.issuer));
  provider.use(ssoCallbackRoute(federation, logger));
  const interactionDeps = { provider, directory: stores.directory, throttle: new LoginThrottle(config.loginLimits, stores.limiters, metrics), mfa, federation, ssoRedirectUri, clock, logger, metrics };
  provider.use(interactionRoutes(interactionDeps));
  provider.use(
    adminConsoleRoutes({
      admin,
      sessions: adminSessions,
      site: ADMIN_CONSOLE,
      rp: new FirstPartyRelyingParty(config.issuer, ADMIN_CONSOLE, consoleSecret),
      clock,
      reauthSeconds: config.admin.reauthSeconds,
      logger,
    }),
  );
  provider.use(
    accountRoutes({
      site: ACCOUNT_SITE,
      sessions: accountSessions,
      rp: new FirstPartyRelyingParty(config.issuer, ACCOUNT_SITE, accountSecret),
      clock,
      reauthSeconds: STEP_UP_SECONDS,
      stepUpSeconds: STEP_UP_SECONDS,
      logger,
      directory: stores.directory,
      throttle: interactionDeps.throttle,
      mfa,
      store: stores.mfaFactors,
      audit: stores.audit,
      events,
      signIns: {
        ...providerSignIns,
        // A replacement on Password & Security ends the user's other sessions there and in the console too.
        async endOtherSessionsOf(id, keep) {
          await Promise.all([providerSignIns.endOtherSessionsOf(id, keep), adminSessions.endEveryOneOf(id), accountSessions.endEveryOneOf(id, keep)]);
        },
      },
      flow: stores.flow,
      box,
      runPending: (_ctx, _userId, pending) => Promise.resolve(continueAfterSignIn(pending)),
    }),
  );
  provider.use(adminApiRoutes({ admin, provider, directory: stores.directory, clock, reauthSeconds: config.admin.reauthSeconds, issuer: config.issuer }));

  return {
    app: provider,
    stores,
    mfa,
    ssoRedirectUri,
    interactionRoutes: routeTable(interactionDeps).map(({ method, path, at }) => ({ method, path, at })),
    seeded,
    demo,
    mail,
    admin,
    notices,
    beginShutdown: () => {
      draining = true;
    },
    close: async () => {
      clearInterval(sweep);
      for (const stop of stopTimings) stop();
      await mail.stop();
      await stores.close();
    },
  };
}
