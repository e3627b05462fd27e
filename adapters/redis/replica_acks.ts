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
 * Confirms that the writes made so far to a key's master reached its replicas (Redis WAIT), for the
 * writes that must survive a failover: enrollment commits, recovery-code use and MFA failure counts.
 *
 * WAIT blocks the connection it is sent on, and it must be the connection the writes went through,
 * so it is kept short (policy.timeoutMs). A master with no replica connected has nobody to lose the
 * write to in a failover (a failover promotes a replica), so the write stands and that master is
 * not asked to WAIT for a second; a master whose replicas do not confirm in time fails the request
 * (a 503) instead of reporting a success that a failover could undo.
 */
export class ReplicaAcks {
  readonly #policy: ReplicaAckPolicy;
  readonly #masterOf: (key: string) => Promise<MasterLink>;
  readonly #logger: Logger;
  readonly #withoutReplicasUntil = new WeakMap<object, number>();

  constructor(policy: ReplicaAckPolicy, masterOf: (key: string) => Promise<MasterLink>, logger: Logger) {
    this.#policy = policy;
    this.#masterOf = masterOf;
    this.#logger = logger;
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
      if (Date.now() < knownBare) return;
      // The memo has run out: ask cheaply (INFO does not block) before waiting again.
      if ((await connectedReplicas(master)) === 0) {
        this.#withoutReplicasUntil.set(master.id, Date.now() + NO_REPLICA_MEMO_MS);
        return;
      }
      this.#withoutReplicasUntil.delete(master.id);
    }
    const acked = Number(await master.send(['WAIT', String(this.#policy.replicas), String(this.#policy.timeoutMs)]));
    if (acked >= this.#policy.replicas) return;
    const connected = await connectedReplicas(master);
    if (connected === 0) {
      this.#withoutReplicasUntil.set(master.id, Date.now() + NO_REPLICA_MEMO_MS);
      this.#logger.warn('redis master has no replica: durable writes are not replicated until one connects');
      return;
    }
    if (acked >= Math.min(this.#policy.replicas, connected)) return;
    throw new ReplicationUnconfirmed(`${acked} of ${Math.min(this.#policy.replicas, connected)} replicas confirmed the write within ${this.#policy.timeoutMs} ms`);
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
