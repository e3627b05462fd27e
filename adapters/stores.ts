import type { AdapterFactory } from 'oidc-provider';
import type { Logger } from 'pino';
import type { DirectoryStore } from '../directory/store.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import type { LimiterFactory } from '../lib/limiters.ts';
import { memoryLimiters, redisLimiters } from './limiters.ts';
import type { AuditLog } from '../audit/audit_log.ts';
import type { FlowStore, MfaFactorStore, MfaLockoutStore, SmsCodeStore } from '../mfa/store.ts';
import { MemoryAuditLog } from './memory/audit_log.ts';
import { MemoryFlowStore, MemoryMfaFactorStore, MemoryMfaLockoutStore, MemorySmsCodeStore } from './memory/mfa_store.ts';
import { RedisAuditLog } from './redis/audit_log.ts';
import { RedisFlowStore, RedisMfaFactorStore, RedisMfaLockoutStore, RedisSmsCodeStore } from './redis/mfa_store.ts';
import { MemoryDirectoryStore } from './memory/directory_store.ts';
import { MemoryOidcStorage } from './memory/oidc_adapter.ts';
import { connectRedis, type RedisConnection } from './redis/client.ts';
import type { RedisTopology, ReplicaAckPolicy } from '../config/redis_topology.ts';
import type { MailOutbox } from '../notify/outbox.ts';
import { MemoryMailOutbox } from './memory/mail_outbox.ts';
import { RedisMailOutbox } from './redis/mail_outbox.ts';
import { RedisDirectoryStore } from './redis/directory_store.ts';
import { RedisOidcAccountIndex, redisOidcAdapterFactory } from './redis/oidc_adapter.ts';
import type { OidcAccountIndex } from './oidc_account_index.ts';

/** Every store the app needs, from one backend. */
export interface Stores {
  readonly kind: 'memory' | 'redis';
  readonly directory: DirectoryStore;
  readonly oidcAdapter: AdapterFactory;
  /** The sessions and grants oidcAdapter has saved for each account. */
  readonly oidcAccounts: OidcAccountIndex;
  readonly limiters: LimiterFactory;
  readonly mfaFactors: MfaFactorStore;
  readonly mfaLockout: MfaLockoutStore;
  readonly flow: FlowStore;
  readonly smsCodes: SmsCodeStore;
  readonly audit: AuditLog;
  /** Emails waiting to be sent (notify/delivery.ts sends them). */
  readonly mailOutbox: MailOutbox;
  /** Resolves when the backend answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function memoryStores(clock: Clock = systemClock): Stores {
  const oidc = new MemoryOidcStorage(clock);
  return {
    kind: 'memory',
    directory: new MemoryDirectoryStore(),
    oidcAdapter: oidc.adapterFactory(),
    oidcAccounts: oidc,
    limiters: memoryLimiters,
    mfaFactors: new MemoryMfaFactorStore(),
    mfaLockout: new MemoryMfaLockoutStore(),
    flow: new MemoryFlowStore(clock),
    smsCodes: new MemorySmsCodeStore(),
    audit: new MemoryAuditLog(),
    mailOutbox: new MemoryMailOutbox(clock),
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** The stores on one connected Redis deployment (a single server, a Cluster or a Sentinel-managed master). */
export function redisStoresOn(connection: RedisConnection, prefix: string): Stores {
  const redis = connection.client;
  return {
    kind: 'redis',
    directory: new RedisDirectoryStore(redis, prefix),
    oidcAdapter: redisOidcAdapterFactory(redis, prefix),
    oidcAccounts: new RedisOidcAccountIndex(redis, prefix),
    limiters: redisLimiters(redis, prefix),
    mfaFactors: new RedisMfaFactorStore(connection.durableClient, prefix, connection.replicaAcks),
    mfaLockout: new RedisMfaLockoutStore(connection.durableClient, prefix, connection.replicaAcks),
    flow: new RedisFlowStore(redis, prefix),
    smsCodes: new RedisSmsCodeStore(redis, prefix),
    audit: new RedisAuditLog(redis, prefix),
    mailOutbox: new RedisMailOutbox(redis, prefix),
    ping: () => connection.ping(),
    close: () => connection.close(),
  };
}

export async function redisStores(topology: RedisTopology, replicaAcks: ReplicaAckPolicy, prefix: string, logger: Logger): Promise<Stores> {
  return redisStoresOn(await connectRedis(topology, replicaAcks, logger), prefix);
}
