import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import type { RedisNodeAddress } from '../../config/redis_topology.ts';
import { freePort } from './redis_server.ts';
import { RedisProcess } from './redis_process.ts';

/** How long a node may be silent before the others count it as failed: short, so a failover takes seconds. */
const NODE_TIMEOUT_MS = 1000;

/** One redis-server of the local cluster; it keeps its port, bus port and node id across restarts. */
export class ClusterNode {
  readonly port: number;
  readonly #busPort: number;
  readonly #dir: string;
  readonly #process: RedisProcess;

  constructor(port: number, busPort: number, dir: string) {
    this.port = port;
    this.#busPort = busPort;
    this.#dir = dir;
    this.#process = new RedisProcess(`redis-server on 127.0.0.1:${port}`);
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process.running;
  }

  /** Starts the server; its nodes.conf (in the cluster's directory) brings back its identity and role. */
  async start(): Promise<void> {
    this.#process.spawn([
        '--port', String(this.port),
        '--cluster-port', String(this.#busPort),
        '--bind', '127.0.0.1',
        '--dir', this.#dir,
        '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${this.port}.conf`,
        '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
        // A replica cut off for a while may still take over: the tests pause replicas on purpose.
        '--cluster-replica-validity-factor', '0',
        '--save', '',
        '--appendonly', 'no',
        // A replica (re)joining gets its copy at once rather than after the default 5 s batching delay.
        '--repl-diskless-sync-delay', '0',
        '--dbfilename', `dump-${this.port}.rdb`,
    ]);
    await waitFor(`redis-server on ${this.address}`, async () => (await this.command(['PING'])) === 'PONG');
  }

  /** SIGKILL: no goodbye to the cluster, as when a machine dies. */
  kill(): Promise<void> {
    return this.#process.kill();
  }

  /** SIGSTOP: the process holds its connections but answers nothing (a stalled or lagging node). */
  pause(): void {
    this.#process.pause();
  }

  resume(): void {
    this.#process.resume();
  }

  /** Kills the process without waiting (for a process 'exit' handler). */
  killNow(): void {
    this.#process.killNow();
  }

  /** One command on a fresh connection to this node (never routed elsewhere); a paused node fails it after 2 s. */
  async command(args: string[]): Promise<unknown> {
    const client = createClient({ socket: { host: '127.0.0.1', port: this.port, reconnectStrategy: false, connectTimeout: 1000 } });
    client.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${this.address} did not answer ${args[0] ?? ''}`));
      }, 2000);
    });
    try {
      return await Promise.race([client.connect().then(() => client.sendCommand(args)), silent]);
    } finally {
      clearTimeout(timer);
      if (client.isOpen) client.destroy();
    }
  }
}

/** What one node says about the cluster (CLUSTER NODES), read from a live node. */
interface NodeView {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  masterId: string | undefined;
  slots: [number, number][];
}

/**
 * A throwaway Redis Cluster on loopback: `masters` masters with one replica each, built with
 * `redis-cli --cluster create`. Tests kill, pause and restart its nodes to cause failovers.
 */
export class LocalRedisCluster {
  readonly nodes: readonly ClusterNode[];
  readonly #dir: string;

  private constructor(nodes: ClusterNode[], dir: string) {
    this.nodes = nodes;
    this.#dir = dir;
  }

  static async start(masters = 3): Promise<LocalRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'redis-cluster-'));
    const nodes: ClusterNode[] = [];
    const taken = new Set<number>();
    for (let i = 0; i < masters * 2; i++) {
      // Two ports each (client and cluster bus), none used twice: freePort only knows what is free now.
      const [port, busPort] = [await freshPort(taken), await freshPort(taken)];
      nodes.push(new ClusterNode(port, busPort, dir));
    }
    const cluster = new LocalRedisCluster(nodes, dir);
    try {
      await Promise.all(nodes.map((node) => node.start()));
      const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '1', '--cluster-yes'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
      await cluster.waitUntilHealthy();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The seed nodes to configure: every node (a client needs only one that answers). */
  get seedNodes(): RedisNodeAddress[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  /** REDIS_CLUSTER_NODES for this cluster. */
  get nodesVariable(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  /** The node serving `key`'s slot as master now. */
  async masterOf(key: string): Promise<ClusterNode> {
    const slot = Number(await this.#anyLive((n) => n.command(['CLUSTER', 'KEYSLOT', key])));
    const owner = (await this.#view()).find((v) => v.master && !v.failed && v.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!owner) throw new Error(`no master serves slot ${String(slot)}`);
    return this.#node(owner.port);
  }

  /** The replicas of `master` that the cluster knows of (running or not). */
  async replicasOf(master: ClusterNode): Promise<ClusterNode[]> {
    const view = await this.#view();
    const id = view.find((v) => v.port === master.port)?.id;
    return view.filter((v) => !v.master && v.masterId === id).map((v) => this.#node(v.port));
  }

  /**
   * Waits until every running node reports cluster_state:ok, every slot has a master that is not
   * failed, and each running node agrees on that. After a failover this is "the replica took over".
   */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'the cluster to be healthy',
      async () => {
        const live = this.nodes.filter((n) => n.running);
        for (const node of live) {
          const info = String(await node.command(['CLUSTER', 'INFO']));
          if (!/^cluster_state:ok/m.test(info) || !/^cluster_slots_ok:16384/m.test(info)) return false;
        }
        const view = await this.#view();
        const covered = view.filter((v) => v.master && !v.failed && this.#node(v.port).running).flatMap((v) => v.slots);
        if (covered.reduce((sum, [from, to]) => sum + to - from + 1, 0) !== 16384) return false;
        // And every running replica has its master's data, so that WAIT can be answered.
        for (const replica of view.filter((v) => !v.master && this.#node(v.port).running)) {
          if (!(await this.#replicating(this.#node(replica.port)))) return false;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /** Waits until `node`, restarted, has rejoined as a replica with its master's data. */
  async waitUntilReplicating(node: ClusterNode, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${node.address} to replicate`,
      () => this.#replicating(node),
      timeoutMs,
    );
  }

  async #replicating(node: ClusterNode): Promise<boolean> {
    const info = String(await node.command(['INFO', 'replication']));
    return /^role:slave/m.test(info) && /^master_link_status:up/m.test(info) && /^master_sync_in_progress:0/m.test(info);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) {
      try {
        node.resume();
      } catch {
        // not running
      }
    }
    await Promise.all(this.nodes.map((node) => node.kill()));
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** stop() for a process 'exit' handler, where nothing asynchronous runs any more. */
  stopNow(): void {
    for (const node of this.nodes) node.killNow();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #node(port: number): ClusterNode {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node on port ${String(port)}`);
    return node;
  }

  async #view(): Promise<NodeView[]> {
    const text = String(await this.#anyLive((n) => n.command(['CLUSTER', 'NODES'])));
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id = '', address = '', flags = '', masterId = '-', , , , , ...slots] = line.split(' ');
        const flagList = flags.split(',');
        return {
          id,
          port: Number(/:(\d+)@/.exec(address)?.[1]),
          master: flagList.includes('master'),
          failed: flagList.includes('fail') || flagList.includes('noaddr'),
          masterId: masterId === '-' ? undefined : masterId,
          // Ranges "0-5460" or single slots "42"; "[…]" entries are slots being migrated.
          slots: slots.filter((s) => !s.startsWith('[')).map((s) => {
            const [from = '', to = from] = s.split('-');
            return [Number(from), Number(to)] as [number, number];
          }),
        };
      });
  }

  /** Asks the first running node that answers. */
  async #anyLive<T>(ask: (node: ClusterNode) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const node of this.nodes.filter((n) => n.running)) {
      try {
        return await ask(node);
      } catch (err) {
        last = err;
      }
    }
    throw new Error('no cluster node answers', { cause: last });
  }
}

export function redisCliInstalled(): boolean {
  return spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freshPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
}

/** Polls `ready` every 100 ms (errors count as "not yet") until it holds or the time is up. */
async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await ready()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
