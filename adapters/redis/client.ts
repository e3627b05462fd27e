import {
  createClient,
  createCluster,
  createSentinel,
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  ReconnectStrategyError,
  DisconnectsClientError,
  RootNodesUnavailableError,
  MaxCommandRedirectionsError,
} from 'redis';
import type { Logger } from 'pino';
import type { RedisTopology, ReplicaAckPolicy } from '../../config/redis_topology.ts';
import { ReplicaAcks, ReplicationUnconfirmed, type MasterLink } from './replica_acks.ts';

/** One Redis server's client, with every command (tests use the ones the stores do not). */
export type SingleClient = ReturnType<typeof createClient>;

/**
 * The commands the stores use. One Redis, a Cluster (each command routed by its key's slot) and a
 * Sentinel-managed master all provide them. MULTI is left out on purpose: a cluster's MULTI is a
 * different type, and a Lua script (one key slot, atomic) says the same thing on all three.
 */
export type RedisClient = Pick<
  SingleClient,
  'eval' | 'get' | 'set' | 'del' | 'getDel' | 'mGet' | 'expire' | 'persist' | 'sAdd' | 'sMembers' | 'sIsMember' | 'hSet' | 'hGet' | 'hmGet' | 'hGetAll' | 'hVals' | 'hExists' | 'hDel' | 'xAdd' | 'xRevRange'
>;

/** A connected deployment: its commands, the replica confirmation for durable writes, and its life cycle. */
export interface RedisConnection {
  readonly topology: RedisTopology['kind'];
  readonly client: RedisClient;
  /** For the stores whose writes are confirmed by replicas (WAIT): their own connections when acks are on. */
  readonly durableClient: RedisClient;
  readonly replicaAcks: ReplicaAcks;
  /** Resolves when the deployment answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A connection silent this long is stalled: it is dropped, failing what waits on it, and re-opened. */
const SOCKET_TIMEOUT_MS = 5000;
/** Keeps an idle connection talking, so only a stalled server, never a quiet hour, hits the timeout. */
const PING_INTERVAL_MS = 2000;
/**
 * While a cluster node is unreachable, how often the slot map is read again (to find a promoted
 * replica) and, since node-redis re-reads it only when it tries to reconnect, the longest wait
 * between two tries.
 */
const TOPOLOGY_REFRESH_MS = 500;

/**
 * The options every connection to a data node gets, whatever the topology.
 * - No per-command timeout: node-redis 6's default creates a timer per command that keeps the whole
 *   request context alive under load (see docs/decisions.md). Dead peers are found by socket keepalive;
 *   a stalled server (the kernel still answers keepalives) by the socket timeout, one timer per
 *   connection. Writes reset that timer, so under steady traffic it fires only once writes back up:
 *   requests themselves are bounded by the request deadline (ops/request_deadline.ts).
 * - No offline queue: while disconnected, commands fail at once, so requests fail closed with a 503
 *   instead of waiting or, worse, being let through.
 */
const NODE_OPTIONS = {
  disableOfflineQueue: true,
  commandOptions: { timeout: 0 },
  pingInterval: PING_INTERVAL_MS,
  socket: {
    connectTimeout: 2000,
    socketTimeout: SOCKET_TIMEOUT_MS,
    keepAlive: true,
    // Always reconnect: node-redis's default strategy gives up after a socket timeout.
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
  },
} as const;

/** One connection (per master) to the deployment, with what WAIT needs: the master holding a key. */
interface Deployment {
  client: RedisClient;
  masterOf(key: string): Promise<MasterLink>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function connectRedis(topology: RedisTopology, acks: ReplicaAckPolicy, logger: Logger): Promise<RedisConnection> {
  const main = await openDeployment(topology, logger);
  // WAIT holds the connection it is sent on until the replicas answer, and it must be the connection
  // the writes went through: the durable stores get connections of their own, so a lagging replica
  // slows their writes only, never the sessions, tokens and limits of every request.
  const durable = acks.replicas > 0 ? await openDeployment(topology, logger).catch(async (err: unknown) => {
    await main.close();
    throw err;
  }) : main;
  const both = durable === main ? [main] : [main, durable];
  return {
    topology: topology.kind,
    client: main.client,
    durableClient: durable.client,
    replicaAcks: new ReplicaAcks(acks, (key) => durable.masterOf(key), logger),
    ping: async () => {
      await Promise.all(both.map((d) => d.ping()));
    },
    close: async () => {
      await Promise.all(both.map((d) => d.close()));
    },
  };
}

async function openDeployment(topology: RedisTopology, logger: Logger): Promise<Deployment> {
  const reportErrors = errorReporter(logger);
  switch (topology.kind) {
    case 'single': {
      const client = createClient({ url: topology.url, ...NODE_OPTIONS });
      reportErrors(client);
      await client.connect();
      return {
        client,
        masterOf: () => Promise.resolve({ id: client, send: (args) => client.sendCommand(args) }),
        ping: async () => {
          await client.ping();
        },
        close: async () => {
          if (client.isOpen) await client.close();
        },
      };
    }
    case 'cluster': {
      const cluster = createCluster({
        rootNodes: topology.nodes.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: {
          ...NODE_OPTIONS,
          socket: { ...NODE_OPTIONS.socket, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, TOPOLOGY_REFRESH_MS) },
          ...topology.credentials,
        },
        // Writes and the reads that decide a login go to masters only: a replica may lag.
        useReplicas: false,
        // A dead master's client only reconnects (commands fail at once: no offline queue), and no
        // MOVED reply comes to tell it about the promoted replica; node-redis re-reads the slot map
        // on a reconnection attempt 5 s into an outage by default, then every 5 s (measured: up to
        // 2.5 s of 503s after the cluster itself had recovered, with tries 2 s apart). Re-read it
        // every half second of an outage instead (one CLUSTER SLOTS), trying to reconnect as often.
        topologyRefreshOnReconnectionAttemptStrategy: TOPOLOGY_REFRESH_MS,
      });
      reportErrors(cluster);
      await cluster.connect();
      return {
        client: cluster,
        masterOf: async (key) => {
          const master = await cluster.getNodeClientForKey(key, false);
          return { id: master, send: (args) => master.sendCommand(args) };
        },
        // Every master must answer: a key may live on any of them.
        ping: async () => {
          await Promise.all(cluster.masters.map(async (master) => (await cluster.nodeClient(master)).ping()));
        },
        close: async () => {
          if (cluster.isOpen) await cluster.close();
        },
      };
    }
    case 'sentinel': {
      const { commandOptions, ...nodeOptions } = NODE_OPTIONS;
      const sentinel = createSentinel({
        name: topology.masterName,
        sentinelRootNodes: topology.sentinels,
        // At this level, not per node: the sentinel object sends every command with its own options,
        // and would otherwise impose node-redis's default timer per command.
        commandOptions,
        nodeClientOptions: { ...nodeOptions, ...topology.credentials },
        // The sentinel connection only listens (pub/sub) for a switch of master: it sends nothing,
        // so a socket timeout would drop it after every few quiet seconds (measured: every 5 s), and
        // PING has no place on it. A dead one is found by keepalive, or when the others are asked next.
        sentinelClientOptions: { socket: { connectTimeout: nodeOptions.socket.connectTimeout, keepAlive: true } },
      });
      reportErrors(sentinel);
      // One identity per master connection: a WAIT answered by another master than the one the
      // writes went to proves nothing about them (see masterLink below).
      let currentMaster = { node: '' };
      sentinel.on('topology-change', (event: SentinelTopologyEvent) => {
        if (event.type !== 'MASTER_CHANGE' || !event.node) return;
        const node = `${event.node.host}:${event.node.port}`;
        // A new connection even to the same node: what the old one was told may not be there.
        if (currentMaster.node && currentMaster.node !== node) logger.warn({ from: currentMaster.node, to: node }, 'redis sentinel: the master changed');
        currentMaster = { node };
      });
      await sentinel.connect();
      /**
       * node-redis sends a command again on the new master when its connection drops mid-command,
       * WAIT included. After a failover that second WAIT counts the new master's replicas, not
       * whether the write reached the master that was promoted: fail it instead.
       */
      const masterLink = (): Promise<MasterLink> => {
        const master = currentMaster;
        return Promise.resolve({
          id: master,
          send: async (args: string[]) => {
            const reply = await sentinel.sendCommand(false, args);
            if (currentMaster !== master) throw new ReplicationUnconfirmed(`the master changed from ${master.node} to ${currentMaster.node} during ${args[0] ?? 'a command'}`);
            return reply;
          },
        });
      };
      return {
        client: sentinel,
        masterOf: masterLink,
        ping: async () => {
          await sentinel.ping();
        },
        close: async () => {
          if (sentinel.isOpen) await sentinel.close();
        },
      };
    }
  }
}

/** The part of node-redis's sentinel `topology-change` event read here. */
interface SentinelTopologyEvent {
  type: string;
  node?: { host: string; port: number };
}

interface ErrorEmitter {
  on(event: 'error', listener: (err: unknown) => void): unknown;
}

/** Logs the first error of an outage, not one per reconnection attempt. */
function errorReporter(logger: Logger): (emitter: ErrorEmitter) => void {
  return (emitter) => {
    let lastReport = 0;
    emitter.on('error', (err: unknown) => {
      if (Date.now() - lastReport < 10_000) return;
      lastReport = Date.now();
      logger.error({ err }, 'redis connection error');
    });
  };
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
    err instanceof DisconnectsClientError ||
    err instanceof RootNodesUnavailableError ||
    err instanceof MaxCommandRedirectionsError ||
    err instanceof ReplicationUnconfirmed ||
    (err instanceof Error && 'code' in err && (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET')) ||
    clusterInTransition(err) ||
    sentinelWithoutMaster(err)
  );
}

/**
 * node-redis's Sentinel client giving up (after about 16 s of asking once a second, measured): no
 * sentinel answers, or none names a master that is up. Plain Errors, known by their messages.
 */
function sentinelWithoutMaster(err: unknown): boolean {
  return err instanceof Error && (err.message === 'no valid master node' || err.message === 'None of the sentinels are available');
}

/**
 * Redis's own refusals while a cluster or a Sentinel deployment changes masters: the slot has no
 * master yet, the cluster is down, or the node we reached has just become a replica; and a master
 * refusing writes for want of replicas (min-replicas-to-write).
 */
function clusterInTransition(err: unknown): boolean {
  return err instanceof Error && /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|LOADING|NOREPLICAS)\b/.test(err.message);
}
