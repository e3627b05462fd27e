import { once } from 'node:events';
import { createServer, Socket, type Server } from 'node:net';

/**
 * How a sprung trap plays the death of Redis at the trapped command:
 * - `before`: the command never reaches Redis (Redis died with every earlier command applied);
 * - `after`: the command reaches Redis and is applied, but its reply is lost (Redis died after
 *   executing it, before answering: with `appendfsync always` the write is on disk, unacknowledged).
 */
export type FaultTiming = 'before' | 'after';

export interface TrapOptions {
  /** Commands that count (the rest pass untouched): the ones of the step under test. */
  counts: (args: readonly string[]) => boolean;
  /** Let this many counted commands through; the next one springs the trap. */
  skip: number;
  timing: FaultTiming;
  /**
   * `die` (the default): every connection is cut at once and new ones are refused until `up()`.
   * `hang`: nothing more is forwarded or answered and the connections stay open, so the app waits
   * in the middle of its step (for a test to kill the app there); `down()` ends it.
   */
  then?: 'die' | 'hang';
}

export interface Trap {
  /** The command the trap sprang on, once it has. */
  readonly sprungOn: readonly string[] | undefined;
  /** Resolves with the trapped command when the trap springs. */
  readonly sprung: Promise<readonly string[]>;
}

/** One client connection through the proxy and its upstream connection to Redis. */
interface Link {
  client: Socket;
  upstream: Socket;
  /** Bytes of the client's stream not yet parsed into whole commands. */
  pending: Buffer;
}

/**
 * A TCP proxy in front of a redis-server that plays Redis dying at an exact command: the app
 * connects to the proxy; a trap lets `skip` counted commands through and kills "Redis" at the next
 * one (every connection is cut, new ones are refused until `up()`). The server itself keeps what it
 * was sent, as an `appendfsync always` Redis restarted from its file would, so the test can sweep
 * every command of a step, cheaply, without restarting a process each time.
 */
export class RedisFaultProxy {
  readonly #server: Server;
  readonly #upstreamPort: number;
  readonly #links = new Set<Link>();
  #down = false;
  /** After a trap sprang with `after`: nothing more is forwarded, no reply goes back. */
  #frozen = false;
  /** When set, every command that goes through is recorded here (for finding a step's commands). */
  log: (readonly string[])[] | undefined;
  #trap: { options: TrapOptions; seen: number; sprungOn: readonly string[] | undefined; resolve: (args: readonly string[]) => void } | undefined;
  port = 0;

  private constructor(upstreamPort: number) {
    this.#upstreamPort = upstreamPort;
    this.#server = createServer((client) => {
      this.#accept(client);
    });
  }

  static async start(upstreamPort: number): Promise<RedisFaultProxy> {
    const proxy = new RedisFaultProxy(upstreamPort);
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    const address = proxy.#server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    proxy.port = address.port;
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Arms a trap (replacing any other); see TrapOptions. */
  trap(options: TrapOptions): Trap {
    let resolve: (args: readonly string[]) => void = () => undefined;
    const sprung = new Promise<readonly string[]>((r) => {
      resolve = r;
    });
    const state = { options, seen: 0, sprungOn: undefined as readonly string[] | undefined, resolve };
    this.#trap = state;
    return {
      get sprungOn() {
        return state.sprungOn;
      },
      sprung,
    };
  }

  disarm(): void {
    this.#trap = undefined;
  }

  /** Redis is back: new connections go through again. */
  up(): void {
    this.#down = false;
    this.#frozen = false;
  }

  /** Redis dies now: every connection is cut and new ones are refused until `up()`. */
  down(): void {
    this.#down = true;
    for (const link of this.#links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    this.#links.clear();
  }

  async close(): Promise<void> {
    this.down();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  #accept(client: Socket): void {
    if (this.#down) {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    const link: Link = { client, upstream, pending: Buffer.alloc(0) };
    this.#links.add(link);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.#links.delete(link);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    upstream.connect(this.#upstreamPort, '127.0.0.1');
    upstream.on('data', (chunk: Buffer) => {
      if (!this.#frozen) client.write(chunk);
    });
    // The client's bytes wait (paused) until the upstream connection is open.
    client.pause();
    upstream.once('connect', () => {
      client.on('data', (chunk: Buffer) => {
        this.#fromClient(link, chunk);
      });
      client.resume();
    });
  }

  /** Forwards whole commands one by one, so that a trap can stop the stream at an exact command. */
  #fromClient(link: Link, chunk: Buffer): void {
    link.pending = Buffer.concat([link.pending, chunk]);
    for (;;) {
      if (this.#down || this.#frozen) return;
      const parsed = parseCommand(link.pending);
      if (parsed === undefined) return;
      link.pending = link.pending.subarray(parsed.length);
      const raw = parsed.raw;
      const trap = this.#trap;
      if (trap && trap.options.counts(parsed.args)) {
        trap.seen += 1;
        if (trap.seen > trap.options.skip) {
          this.#trap = undefined;
          trap.sprungOn = parsed.args;
          this.#spring(link, raw, trap.options.timing, trap.options.then ?? 'die');
          trap.resolve(parsed.args);
          return;
        }
      }
      this.log?.push(parsed.args);
      link.upstream.write(raw);
    }
  }

  #spring(link: Link, raw: Buffer, timing: FaultTiming, then: 'die' | 'hang'): void {
    if (timing === 'before') {
      if (then === 'die') this.down();
      else this.#frozen = true;
      return;
    }
    // Applied, unanswered: the command goes to Redis, nothing else does, no reply comes back.
    this.#frozen = true;
    if (then === 'hang') {
      link.upstream.write(raw);
      return;
    }
    link.upstream.write(raw, () => {
      // Redis executes what it reads at once; a moment later the command is surely applied.
      setTimeout(() => {
        this.down();
      }, 30);
    });
  }
}

/** One RESP command (an array of bulk strings, as node-redis sends them), or undefined if incomplete. */
function parseCommand(buffer: Buffer): { args: string[]; raw: Buffer; length: number } | undefined {
  if (buffer.length === 0) return undefined;
  if (buffer[0] !== 0x2a /* '*' */) throw new Error('redis fault proxy: only RESP arrays are supported');
  let offset = 0;
  const line = (): string | undefined => {
    const end = buffer.indexOf('\r\n', offset);
    if (end === -1) return undefined;
    const text = buffer.toString('latin1', offset, end);
    offset = end + 2;
    return text;
  };
  const header = line();
  if (header === undefined) return undefined;
  const count = Number(header.slice(1));
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = line();
    if (size === undefined) return undefined;
    const length = Number(size.slice(1));
    if (buffer.length < offset + length + 2) return undefined;
    args.push(buffer.toString('utf8', offset, offset + length));
    offset += length + 2;
  }
  return { args, raw: buffer.subarray(0, offset), length: offset };
}
