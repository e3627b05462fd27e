import {
  createClient,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  ReconnectStrategyError,
} from 'redis';
import type { Logger } from 'pino';

export type RedisClient = ReturnType<typeof newClient>;

/** A connection silent this long is stalled: it is dropped, failing what waits on it, and re-opened. */
const SOCKET_TIMEOUT_MS = 5000;
/** Keeps an idle connection talking, so only a stalled server, never a quiet hour, hits the timeout. */
const PING_INTERVAL_MS = 2000;

/**
 * Connects to Redis for the stores.
 * - No per-command timeout: node-redis 6's default creates a timer per command that keeps the whole
 *   request context alive under load (see docs/decisions.md). Dead peers are found by socket keepalive;
 *   a stalled server (the kernel still answers keepalives) by the socket timeout, one timer per
 *   connection. Writes reset that timer, so under steady traffic it fires only once writes back up:
 *   requests themselves are bounded by the request deadline (ops/request_deadline.ts).
 * - No offline queue: while disconnected, commands fail at once, so requests fail closed with a 503
 *   instead of waiting or, worse, being let through.
 */
function newClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    commandOptions: { timeout: 0 },
    pingInterval: PING_INTERVAL_MS,
    socket: {
      connectTimeout: 2000,
      socketTimeout: SOCKET_TIMEOUT_MS,
      keepAlive: true,
      // Always reconnect: node-redis's default strategy gives up after a socket timeout.
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
    err instanceof SocketTimeoutError ||
    err instanceof ReconnectStrategyError ||
    (err instanceof Error && 'code' in err && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET'))
  );
}
