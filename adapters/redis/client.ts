import { createClient, ClientClosedError, ClientOfflineError, ConnectionTimeoutError, SocketClosedUnexpectedlyError, ReconnectStrategyError } from 'redis';
import type { Logger } from 'pino';

export type RedisClient = ReturnType<typeof newClient>;

/**
 * Connects to Redis for the stores.
 * - No per-command timeout: node-redis 6's default creates a timer per command that keeps the whole
 *   request context alive under load (see docs/decisions.md). Dead peers are found by socket keepalive.
 * - No offline queue: while disconnected, commands fail at once, so requests fail closed with a 503
 *   instead of waiting or, worse, being let through.
 */
function newClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: 0 },
    socket: {
      connectTimeout: 2000,
      keepAlive: true,
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2000),
    },
  });
}

export async function connectRedis(url: string, logger: Logger): Promise<RedisClient> {
  const client = newClient(url);
  let reportedDown = false;
  client.on('error', (err: unknown) => {
    if (!reportedDown) logger.error({ err }, 'redis connection error');
    reportedDown = true;
  });
  client.on('ready', () => {
    if (reportedDown) logger.info('redis connection restored');
    reportedDown = false;
  });
  await client.connect();
  return client;
}

/** True for errors that mean "the store cannot be reached", which the app answers with a 503. */
export function isStoreUnavailable(err: unknown): boolean {
  return (
    err instanceof ClientOfflineError ||
    err instanceof ClientClosedError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof ReconnectStrategyError ||
    (err instanceof Error && 'code' in err && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET'))
  );
}
