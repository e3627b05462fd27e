import { requireTool } from './tools.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import type { RedisNodeAddress } from '../../config/redis_topology.ts';
import { freePort } from './redis_server.ts';
import { RedisProcess } from './redis_process.ts';

/**
 * How fast the sentinels act. A master silent for DOWN_AFTER_MS is down for one sentinel; with two
 * agreeing (the quorum) one of them promotes the replica: a failover takes a few seconds. Short
 * enough for a test, long enough that two busy cores do not make a sentinel see a live master die.
 */
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 3000;
const QUORUM = 2;

/** One redis-server process (a data node or a sentinel) on a loopback port. */
export class SentinelNode {
  readonly port: number;
  readonly #args: string[];
  readonly #process: RedisProcess;

  constructor(port: number, args: string[]) {
    this.port = port;
    this.#args = args;
    this.#process = new RedisProcess(`redis-server on port ${port}`);
  }

  get address(): RedisNodeAddress {
    return { host: '127.0.0.1', port: this.port };
  }

  get running(): boolean {
    return this.#process.running;
  }

  async start(extraArgs: string[] = []): Promise<void> {
    this.#process.spawn([...this.#args, ...extraArgs]);
    await waitForPing(this.port);
  }

  /** SIGKILL: no goodbye to clients or replicas, as when a machine dies. */
  kill(): Promise<void> {
    return this.#process.kill();
  }

  /** Stalls the process (SIGSTOP): its connections stay open and nothing answers. */
  pause(): void {
    this.#process.pause();
  }

  resume(): void {
    this.#process.resume();
  }
}

/**
 * A throwaway Sentinel deployment on loopback: one master, one replica (`--replicaof`) and three
 * sentinels (`redis-server <conf> --sentinel`, each with its own config file, which Sentinel
 * rewrites as it learns the topology). Tests kill the master and wait for the replica's promotion.
 */
export class RedisSentinelDeployment {
  readonly masterName: string;
  /** The data nodes, the first started as the master. */
  readonly dataNodes: readonly SentinelNode[];
  readonly sentinels: readonly SentinelNode[];
  readonly #dir: string;

  private constructor(masterName: string, dataNodes: SentinelNode[], sentinels: SentinelNode[], dir: string) {
    this.masterName = masterName;
    this.dataNodes = dataNodes;
    this.sentinels = sentinels;
    this.#dir = dir;
  }

  static async start(masterName = 'idp-test'): Promise<RedisSentinelDeployment> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-sentinel-'));
    const [masterPort, replicaPort, ...sentinelPorts] = await distinctFreePorts(5);
    if (masterPort === undefined || replicaPort === undefined) throw new Error('no ports');
    // No 5 s wait (the default) before a full sync, in case more replicas come along.
    const dataArgs = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--repl-diskless-sync-delay', '0'];
    const master = new SentinelNode(masterPort, dataArgs(masterPort));
    const replica = new SentinelNode(replicaPort, [...dataArgs(replicaPort), '--replicaof', '127.0.0.1', String(masterPort)]);
    // Each sentinel is told its own id, its peers and the replica up front (the lines Sentinel writes
    // into its config as it learns them), instead of learning them from hello messages and INFO.
    const ids = new Map(sentinelPorts.map((port) => [port, randomBytes(20).toString('hex')]));
    const sentinels = sentinelPorts.map((port) => {
      const conf = join(dir, `sentinel-${port}.conf`);
      const peers = sentinelPorts.filter((peer) => peer !== port).map((peer) => `sentinel known-sentinel ${masterName} 127.0.0.1 ${peer} ${ids.get(peer) ?? ''}`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel myid ${ids.get(port) ?? ''}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${QUORUM}`,
          `sentinel down-after-milliseconds ${masterName} ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout ${masterName} ${FAILOVER_TIMEOUT_MS}`,
          `sentinel parallel-syncs ${masterName} 1`,
          `sentinel known-replica ${masterName} 127.0.0.1 ${replicaPort}`,
          ...peers,
          '',
        ].join('\n'),
      );
      return new SentinelNode(port, [conf, '--sentinel']);
    });
    const deployment = new RedisSentinelDeployment(masterName, [master, replica], sentinels, dir);
    try {
      await master.start();
      await replica.start();
      await Promise.all(sentinels.map((sentinel) => sentinel.start()));
      await deployment.waitUntilSettled(master.address);
    } catch (err) {
      await deployment.stop();
      throw err;
    }
    return deployment;
  }

  /** `host:port,host:port,host:port`, as REDIS_SENTINELS takes it. */
  get sentinelList(): string {
    return this.sentinels.map(({ port }) => `127.0.0.1:${port}`).join(',');
  }

  get sentinelAddresses(): RedisNodeAddress[] {
    return this.sentinels.map(({ address }) => address);
  }

  dataNode(address: RedisNodeAddress): SentinelNode {
    const node = this.dataNodes.find(({ port }) => port === address.port);
    if (!node) throw new Error(`no data node on port ${address.port}`);
    return node;
  }

  /** The data node that is not `master`. */
  replicaOf(master: RedisNodeAddress): SentinelNode {
    const replica = this.dataNodes.find(({ port }) => port !== master.port);
    if (!replica) throw new Error('no replica');
    return replica;
  }

  /** A section of a data node's INFO. */
  async info(node: RedisNodeAddress, section: string): Promise<string> {
    return String(await ask(node.port, ['INFO', section]));
  }

  /** The master as the first sentinel that answers sees it. */
  async currentMaster(): Promise<RedisNodeAddress> {
    for (const sentinel of this.sentinels) {
      if (!sentinel.running) continue;
      const master = await this.#masterSeenBy(sentinel.port);
      if (master) return master;
    }
    throw new Error('no sentinel answers');
  }

  /** SIGKILLs the current master; returns its address. */
  async killMaster(): Promise<RedisNodeAddress> {
    const master = await this.currentMaster();
    await this.dataNode(master).kill();
    return master;
  }

  /** Resolves once every sentinel names a master other than `former`, and that master says it is one. */
  async waitForFailover(former: RedisNodeAddress, timeoutMs = 20_000): Promise<RedisNodeAddress> {
    return poll(`a master other than port ${former.port}`, timeoutMs, async () => {
      const seen = await Promise.all(this.sentinels.map(({ port }) => this.#masterSeenBy(port)));
      const [first] = seen;
      if (!first || first.port === former.port || !seen.every((m) => m?.port === first.port)) return undefined;
      const role = await ask(first.port, ['ROLE']);
      return Array.isArray(role) && role[0] === 'master' ? first : undefined;
    });
  }

  /**
   * Resolves once every sentinel names `master`, knows the other two sentinels and sees every replica
   * up, and the master has every replica in sync: from then on, a failover can happen.
   */
  async waitUntilSettled(master: RedisNodeAddress, timeoutMs = 20_000): Promise<void> {
    const replicas = this.dataNodes.length - 1;
    await poll('the sentinels to agree on the master and see the replica in sync', timeoutMs, async () => {
      for (const sentinel of this.sentinels) {
        if ((await this.#masterSeenBy(sentinel.port))?.port !== master.port) return undefined;
        const peers = entries(await ask(sentinel.port, ['SENTINEL', 'SENTINELS', this.masterName]));
        const seen = entries(await ask(sentinel.port, ['SENTINEL', 'REPLICAS', this.masterName]));
        if (peers.length !== this.sentinels.length - 1) return undefined;
        if (seen.filter((replica) => !/s_down|disconnected/.test(replica['flags'] ?? '')).length < replicas) return undefined;
      }
      const replication = String(await ask(master.port, ['INFO', 'replication']));
      return (replication.match(/^slave\d+:.*state=online/gm) ?? []).length >= replicas ? true : undefined;
    });
  }

  /** Starts the data nodes that were killed again, as replicas of the current master, and waits until they are in sync. */
  async restoreReplicas(): Promise<void> {
    const master = await this.currentMaster();
    for (const node of this.dataNodes) {
      if (!node.running) await node.start(['--replicaof', master.host, String(master.port)]);
    }
    await this.waitUntilSettled(master);
  }

  async stop(): Promise<void> {
    for (const node of [...this.sentinels, ...this.dataNodes]) await node.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #masterSeenBy(sentinelPort: number): Promise<RedisNodeAddress | undefined> {
    const reply = await ask(sentinelPort, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName]).catch(() => undefined);
    if (!Array.isArray(reply)) return undefined;
    const [host, port] = reply.map(String);
    return host && port ? { host, port: Number(port) } : undefined;
  }
}

/** SENTINEL SENTINELS / REPLICAS: one map per instance (RESP3). */
function entries(reply: unknown): Record<string, string>[] {
  return Array.isArray(reply) ? reply.filter((entry): entry is Record<string, string> => typeof entry === 'object' && entry !== null) : [];
}

/** One command on a short-lived connection (the helper's own, never the app's). */
async function ask(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: false, connectTimeout: 1000 } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.sendCommand(args);
  } finally {
    if (client.isOpen) client.destroy();
  }
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check().catch(() => undefined);
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForPing(port: number): Promise<void> {
  await poll(`redis-server on port ${port}`, 10_000, async () => ((await ask(port, ['PING'])) === 'PONG' ? true : undefined));
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Gives a mocha suite its own Sentinel deployment. Without redis-server the suite fails under CI and
 * is skipped, visibly, elsewhere (like useRedis).
 */
export function useRedisSentinel(): () => RedisSentinelDeployment {
  let deployment: RedisSentinelDeployment | undefined;
  before(async function () {
    // Sentinel is a mode of redis-server itself (`--sentinel`), not a separate binary here.
    requireTool(this, 'redis-server', 'redis-server');
    deployment = await RedisSentinelDeployment.start();
  });
  after(async () => {
    await deployment?.stop();
  });
  return () => {
    if (!deployment) throw new Error('the Sentinel deployment is not ready');
    return deployment;
  };
}
