// Starts the HTTP server. Everything else is assembled in app.ts.
import { createServer } from 'node:http';
import { createIdp } from './app.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { startupWarnings } from './config/startup_warnings.ts';
import { createLogger } from './lib/logger.ts';
import { SeedError } from './seed/schema.ts';

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
}

const logger = createLogger(config.logLevel);
for (const warning of startupWarnings(config)) {
  logger.warn({ warning: warning.id }, warning.message);
  if (warning.loud) {
    const rule = '!'.repeat(78);
    process.stderr.write(`\n${rule}\n  WARNING: ${warning.message}\n${rule}\n\n`);
  }
}

let idp;
try {
  idp = await createIdp(config, { logger });
} catch (err) {
  // A bad seed file is the operator's to fix: the same list of problems as `npm run seed`, no stack trace.
  if (!(err instanceof SeedError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
const handle = idp.app.callback();
const server = createServer((req, res) => {
  void handle(req, res);
});
// Idle keep-alive connections stay open longer than a load balancer's (60 s on the common ones), so
// the balancer, never Node (5 s by default), closes them: otherwise it may send a request on a socket
// that Node is closing, and the user gets a 502. SIGTERM still closes idle connections at once.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(config.port, config.host, () => {
  logger.info({ issuer: config.issuer, host: config.host, port: config.port, store: idp.stores.kind }, 'identity provider listening');
  // Every company's IdP registers this one URL for its SSO connection (docs/sso.md).
  logger.info({ ssoRedirectUri: idp.ssoRedirectUri }, 'SSO redirect URI');
  process.stdout.write(`\n  SSO redirect URI (register it at each company's IdP): ${idp.ssoRedirectUri}\n`);
  process.stdout.write(`  Password & Security:  ${config.issuer}/account/security\n  Company admin console: ${config.issuer}/admin\n`);
  if (idp.seeded) logger.info({ seed: idp.seeded.file, ...idp.seeded.summary }, 'seed imported');
  if (idp.demo && idp.seeded) {
    process.stdout.write(
      [
        '',
        `  Discovery:   ${config.issuer}/.well-known/openid-configuration`,
        `  Demo login:  ${config.issuer}/demo`,
        '  Demo users (password "correct horse battery"):',
        '    alice@acme.test            Acme requires MFA from 2027-03-01: set it up early, or "Skip for now"',
        '    rick@summit.test           Summit requires MFA now: must set up an authenticator app',
        '    erin@summit.test           enrolled; authenticator setup key JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
        '                               (or: oathtool --totp -b JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)',
        '    sam@summit.test            enrolled by SMS (+1 201 555 0123); the code appears in this log',
        '    paula@acme.test            Procore Pay payor: MFA always, authenticator app only',
        '    pete@acme.test             Procore Pay payee admin: MFA always, SMS to US numbers only',
        '    Bob.Builder@Bayside.test   no MFA; mixed-case email; inactive at Acme',
        '    dana@acme.test             disabled account: login is refused',
        '',
      ].join('\n') + '\n',
    );
  }
});

/**
 * SIGTERM/SIGINT: `/readyz` turns 503 and responses close their connections at once, the listener
 * stops accepting connections, in-flight requests finish, and the stores close. Whatever is still
 * running after SHUTDOWN_GRACE_SECONDS is cut off and the process exits anyway (status 1).
 */
let shuttingDown = false;
const shutdown = (signal: string): void => {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
  idp.beginShutdown();
  const deadline = setTimeout(() => {
    logger.warn('shutdown grace period over: closing the remaining connections');
    server.closeAllConnections();
    process.exit(1);
  }, config.shutdownGraceMs);
  deadline.unref();
  server.close(() => {
    void idp.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'closing the stores failed');
        process.exit(1);
      },
    );
  });
  // Keep-alive connections with no request under way would hold close() open: they go now.
  server.closeIdleConnections();
};
process.on('SIGTERM', () => {
  shutdown('SIGTERM');
});
process.on('SIGINT', () => {
  shutdown('SIGINT');
});
