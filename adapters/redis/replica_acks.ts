import { pino, type Logger } from 'pino';
import type { ReplicaAckPolicy } from '../../config/redis_topology.ts';

/** The connection to the master that holds a key: the one our writes to that key went through. */
export interface MasterLink {
  /** Stable for as long as the connection is (a memo key). */
  readonly id: object;
  send(args: string[]): Promise<unknown>;
}

/** How long a master found without replicas is trusted to still have none. */
const NO_REPLICA_MEMO_MS = 1000;

/**
 * How long a replica that has left its master may still be promoted with old data: Redis Cluster
 * allows a replica whose link is down up to 10 × cluster-node-timeout (150 s by default), Sentinel
 * similar. A master seen with replicas this recently and now without any fails durable writes.
 */
const REPLICA_LOSS_WINDOW_MS = 180_000;

/**
 * Confirms that the writes made so far to a key's master reached its replicas (Redis WAIT), for the
 * writes that must survive a failover: enrollment commits, recovery-code use and MFA failure counts.
 *
 * WAIT blocks the connection it is sent on, and it must be the connection the writes went through:
 * the durable stores have connections of their own (adapters/redis/client.ts), and the wait is short
 * (policy.timeoutMs). Replicas that do not confirm in time fail the request (a 503) rather than
 * report a success that a failover could undo. A master with no replica connected is told apart:
 * - one that had replicas within REPLICA_LOSS_WINDOW_MS fails the write: the replica that left may
 *   be promoted without it;
 * - one never seen with a replica (a promoted replica after a failover, a deployment run without
 *   replicas) has nobody to lose the write to, so the write stands and the master is not asked to
 *   WAIT again for a second. Refusing would turn the one surviving copy of a shard into an outage.
 */
export class ReplicaAcks {
  readonly #policy: ReplicaAckPolicy;
  readonly #masterOf: (key: string) => Promise<MasterLink>;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #withoutReplicasUntil = new WeakMap<object, number>();
  readonly #lastSeenWithReplicas = new WeakMap<object, number>();

  constructor(policy: ReplicaAckPolicy, masterOf: (key: string) => Promise<MasterLink>, logger: Logger, clock: () => number = Date.now) {
    this.#policy = policy;
    this.#masterOf = masterOf;
    this.#logger = logger;
    this.#clock = clock;
  }

  get enabled(): boolean {
    return this.#policy.replicas > 0;
  }

  /** Resolves once the key's master's writes are on enough replicas; rejects with ReplicationUnconfirmed otherwise. */
  async confirm(key: string): Promise<void> {
    if (!this.enabled) return;
    const master = await this.#masterOf(key);
    const knownBare = this.#withoutReplicasUntil.get(master.id);
    if (knownBare !== undefined) {
      if (this.#clock() < knownBare) return;
      // The memo has run out: ask cheaply (INFO does not block) before waiting again.
      if ((await connectedReplicas(master)) === 0) {
        this.#withoutReplicasUntil.set(master.id, this.#clock() + NO_REPLICA_MEMO_MS);
        return;
      }
      this.#withoutReplicasUntil.delete(master.id);
    }
    const acked = Number(await master.send(['WAIT', String(this.#policy.replicas), String(this.#policy.timeoutMs)]));
    if (acked >= this.#policy.replicas) {
      this.#lastSeenWithReplicas.set(master.id, this.#clock());
      return;
    }
    const connected = await connectedReplicas(master);
    if (connected > 0) {
      this.#lastSeenWithReplicas.set(master.id, this.#clock());
      if (acked >= Math.min(this.#policy.replicas, connected)) return;
      throw new ReplicationUnconfirmed(`${acked} of ${Math.min(this.#policy.replicas, connected)} replicas confirmed the write within ${this.#policy.timeoutMs} ms`);
    }
    const lastSeen = this.#lastSeenWithReplicas.get(master.id);
    if (lastSeen !== undefined && this.#clock() - lastSeen < REPLICA_LOSS_WINDOW_MS) {
      throw new ReplicationUnconfirmed('the master has just lost its replicas: one of them may be promoted without this write');
    }
    this.#withoutReplicasUntil.set(master.id, this.#clock() + NO_REPLICA_MEMO_MS);
    this.#logger.warn('redis master has no replica: durable writes are not replicated until one connects');
  }
}

/** A write the replicas did not confirm in time: it may not survive a failover, so the request fails (503). */
export class ReplicationUnconfirmed extends Error {
  override name = 'ReplicationUnconfirmed';
}

async function connectedReplicas(master: MasterLink): Promise<number> {
  const info = String(await master.send(['INFO', 'replication']));
  const match = /^connected_slaves:(\d+)/m.exec(info);
  return match ? Number(match[1]) : 0;
}

/** For the in-memory stores and tests: nothing to confirm. */
export const NO_REPLICA_ACKS = new ReplicaAcks({ replicas: 0, timeoutMs: 1 }, () => Promise.reject(new Error('unused')), pino({ enabled: false }));
