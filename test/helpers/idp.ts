import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createIdp, type Idp } from '../../app.ts';
import { memoryStores, redisStores, type Stores } from '../../adapters/stores.ts';
import { loadConfig } from '../../config/config.ts';
import { generateSigningKey } from '../../config/keys.ts';
import type { Clock } from '../../lib/clock.ts';
import { defaultReplicaAcks, type RedisTopology, type ReplicaAckPolicy } from '../../config/redis_topology.ts';
import { redisTopologyEnv } from './redis_access.ts';

export const TEST_SEED = join(import.meta.dirname, '..', 'fixtures', 'seed.json');

/** One key set per test process: every instance started here shares it, like a real deployment. */
const SHARED_KEYS = {
  COOKIE_KEYS: 'test-cookie-key-0123456789abcdefghijklmnop',
  SIGNING_KEYS: JSON.stringify({ keys: [generateSigningKey()] }),
  MFA_ENCRYPTION_KEYS: `test:${randomBytes(32).toString('base64')}`,
};

/** Where the stores are: in memory, or on Redis (one server, a cluster or a Sentinel deployment) under a key prefix. */
export type Backend = { kind: 'memory' } | { kind: 'redis'; topology: RedisTopology; prefix: string };

export interface RunningIdp {
  issuer: string;
  port: number;
  idp: Idp;
  server: Server;
  /** Stops listening and mail delivery, and releases the stores (unless they were passed in). */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Stores to share with another instance; otherwise new ones are made from the backend. */
  stores?: Stores;
  /** Listen on this port (a restart); the issuer defaults to this instance's own address. */
  port?: number;
  issuer?: string;
  env?: Record<string, string>;
  /** One clock for the app and the in-memory stores; tests move it instead of sleeping. */
  clock?: Clock;
  /** Where security emails go (an in-process SMTP server); otherwise they are only logged. */
  smtpUrl?: string;
  /** The app's logger, for tests that read the log; silent otherwise. */
  logger?: Logger;
}

/**
 * The stores on the backend; on Redis with the replica confirmation the app would configure there
 * by default (none on one server, one replica on a cluster), unless `replicaAcks` says otherwise.
 */
export async function makeStores(backend: Backend, clock?: Clock, replicaAcks?: ReplicaAckPolicy): Promise<Stores> {
  if (backend.kind === 'memory') return memoryStores(clock);
  const acks = replicaAcks ?? { replicas: defaultReplicaAcks(backend.topology), timeoutMs: 500 };
  return redisStores(backend.topology, acks, backend.prefix, pino({ level: 'silent' }));
}

/** Starts the real app on a loopback port, configured the way an operator would, with the test seed. */
export async function startIdp(backend: Backend, options: StartOptions = {}): Promise<RunningIdp> {
  const server = createServer();
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const issuer = options.issuer ?? `http://127.0.0.1:${address.port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    ISSUER: issuer,
    LOG_LEVEL: 'silent',
    SEED_FILE: TEST_SEED,
    ...SHARED_KEYS,
    ...(backend.kind === 'redis' ? { ...redisTopologyEnv(backend.topology), REDIS_PREFIX: backend.prefix } : {}),
    ...(options.smtpUrl ? { SMTP_URL: options.smtpUrl } : {}),
    ...options.env,
  });
  const ownStores = options.stores === undefined;
  const stores = options.stores ?? (await makeStores(backend, options.clock, config.redis?.replicaAcks));
  const idp = await createIdp(config, { logger: options.logger ?? pino({ level: 'silent' }), stores, ...(options.clock ? { clock: options.clock } : {}) });
  const handle = idp.app.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  });
  return {
    issuer,
    port: address.port,
    idp,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      // Shared stores outlive this instance, its mail delivery does not.
      if (ownStores) await idp.close();
      else await idp.mail.stop();
    },
  };
}
