import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { MemoryDirectoryStore } from '../../adapters/memory/directory_store.ts';
import { MemoryOidcStorage } from '../../adapters/memory/oidc_adapter.ts';
import { RedisDirectoryStore } from '../../adapters/redis/directory_store.ts';
import { redisOidcAdapterFactory } from '../../adapters/redis/oidc_adapter.ts';
import type { RedisClient } from '../../adapters/redis/client.ts';
import { manualClock } from '../../lib/clock.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { directoryStoreContract } from './directory_store.contract.ts';
import { oidcAdapterContract } from './oidc_adapter.contract.ts';
import { mfaStoreContract } from './mfa_store.contract.ts';
import { MemoryFlowStore, MemoryMfaFactorStore, MemoryMfaLockoutStore } from '../../adapters/memory/mfa_store.ts';
import { RedisFlowStore, RedisMfaFactorStore, RedisMfaLockoutStore } from '../../adapters/redis/mfa_store.ts';

describe('store contracts: memory', () => {
  describe('DirectoryStore', () => {
    directoryStoreContract(() => new MemoryDirectoryStore());
  });
  describe('oidc-provider adapter', () => {
    oidcAdapterContract(() => new MemoryOidcStorage().adapterFactory());
  });
  describe('MFA stores', () => {
    mfaStoreContract(() => ({ factors: new MemoryMfaFactorStore(), lockout: new MemoryMfaLockoutStore(), flow: new MemoryFlowStore() }));
  });
  it('expires entries by the injected clock', async () => {
    const clock = manualClock();
    const adapter = new MemoryOidcStorage(clock).adapterFactory()('Interaction');
    await adapter.upsert('i1', { uid: 'i1' }, 900);
    clock.advance(899_000);
    assert.ok(await adapter.find('i1'));
    clock.advance(1_000);
    assert.equal(await adapter.find('i1'), undefined);
  });
});

describe('store contracts: Redis', () => {
  let client: RedisClient | undefined;
  // Registered before useRedis() so that it runs before the server is stopped.
  after(async () => {
    await client?.close();
  });
  const redis = useRedis();
  let run = 0;
  const prefix = (): string => `${redis().prefix}${++run}:`;
  before(async () => {
    client = createClient({ url: redis().url });
    await client.connect();
  });
  const redisClient = (): RedisClient => {
    if (!client) throw new Error('not connected');
    return client;
  };

  describe('DirectoryStore', () => {
    directoryStoreContract(() => new RedisDirectoryStore(redisClient(), prefix()));
  });
  describe('oidc-provider adapter', () => {
    oidcAdapterContract(() => redisOidcAdapterFactory(redisClient(), prefix()));
  });

  describe('MFA stores', () => {
    mfaStoreContract(() => {
      const p = prefix();
      return { factors: new RedisMfaFactorStore(redisClient(), p), lockout: new RedisMfaLockoutStore(redisClient(), p), flow: new RedisFlowStore(redisClient(), p) };
    });
  });

  it('sets the TTL from expiresIn and a consume keeps it', async () => {
    const p = prefix();
    const codes = redisOidcAdapterFactory(redisClient(), p)('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 600);
    await codes.consume('c1');
    const ttl = await redisClient().ttl(`${p}oidc:AuthorizationCode:{c1}:consumed`);
    assert.ok(ttl > 590 && ttl <= 600, `ttl ${ttl}`);
    const grantTtl = await redisClient().ttl(`${p}oidc:grant:g1`);
    assert.ok(grantTtl > 590, `grant index ttl ${grantTtl}`);
  });

  it('a consume after expiry does not resurrect the key without a TTL', async () => {
    const p = prefix();
    const codes = redisOidcAdapterFactory(redisClient(), p)('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1' }, 600);
    await redisClient().del(`${p}oidc:AuthorizationCode:{c1}`); // what expiry does
    await assert.rejects(codes.consume('c1'));
    assert.equal(await redisClient().exists([`${p}oidc:AuthorizationCode:{c1}`, `${p}oidc:AuthorizationCode:{c1}:consumed`]), 0);
  });

  it('leaves no key without a TTL after a login-shaped set of writes', async () => {
    const p = prefix();
    const adapter = redisOidcAdapterFactory(redisClient(), p);
    await adapter('Session').upsert('s1', { uid: 'u1', accountId: 'a' }, 3600);
    await adapter('Interaction').upsert('i1', { uid: 'i1' }, 900);
    await adapter('AccessToken').upsert('a1', { grantId: 'g' }, 5400);
    const keys = await redisClient().keys(`${p}*`);
    assert.ok(keys.length >= 4);
    for (const key of keys) assert.notEqual(await redisClient().ttl(key), -1, `${key} has no TTL`);
  });
});
