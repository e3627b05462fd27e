import { spawnSync } from 'node:child_process';
import { RedisProcess } from './redis_process.ts';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createClient } from 'redis';

/**
 * Persistence for a server whose data must survive a kill: the append-only file in `dir`, fsynced
 * after every write (`always`), about once a second (`everysec`) or when the OS decides (`no`).
 */
export interface RedisPersistence {
  appendonly: boolean;
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Where the append-only file lives; a restart on the same directory reloads it. */
  dir: string;
}

/** A throwaway redis-server on a free loopback port, which tests may stop and start again. */
export class RedisServer {
  readonly port: number;
  readonly #persistence: RedisPersistence | undefined;
  readonly #process = new RedisProcess('redis-server');

  private constructor(port: number, persistence?: RedisPersistence) {
    this.port = port;
    this.#persistence = persistence;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Without `persistence`, nothing survives a stop: the data lives in memory only. */
  static async start(persistence?: RedisPersistence): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), persistence);
    await server.start();
    return server;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  async start(): Promise<void> {
    const persistence = this.#persistence?.appendonly
      ? ['--appendonly', 'yes', '--appendfsync', this.#persistence.appendfsync ?? 'everysec', '--dir', this.#persistence.dir]
      : ['--appendonly', 'no'];
    this.#process.spawn(['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence]);
    await waitForPing(this.url);
  }

  /** Stalls the server (SIGSTOP): connections stay open, the kernel still accepts, nothing answers. */
  pause(): void {
    this.#process.pause();
  }

  resume(): void {
    this.#process.resume();
  }

  /** SIGKILL; start() brings it back on the same port. */
  async stop(): Promise<void> {
    await this.#process.kill();
  }
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function waitForPing(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      await client.close();
      return;
    } catch {
      if (client.isOpen) client.destroy();
      if (Date.now() > deadline) throw new Error(`redis-server did not answer at ${url}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
