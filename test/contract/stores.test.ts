import assert from 'node:assert/strict';
import { MemoryDirectoryStore } from '../../adapters/memory/directory_store.ts';
import { MemoryOidcStorage } from '../../adapters/memory/oidc_adapter.ts';
import { RedisDirectoryStore } from '../../adapters/redis/directory_store.ts';
import { RedisOidcAccountIndex, redisOidcAdapterFactory } from '../../adapters/redis/oidc_adapter.ts';
import { manualClock } from '../../lib/clock.ts';
import { openRedis, type TestRedis as RedisClient } from '../helpers/redis_access.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { directoryStoreContract } from './directory_store.contract.ts';
import { oidcAdapterContract } from './oidc_adapter.contract.ts';
import { oidcAccountIndexContract } from './oidc_account_index.contract.ts';
import { mfaStoreContract } from './mfa_store.contract.ts';
import { smsCodeStoreContract } from './sms_code_store.contract.ts';
import { auditLogContract } from './audit_log.contract.ts';
import { MemoryFlowStore, MemoryMfaFactorStore, MemoryMfaLockoutStore, MemorySmsCodeStore } from '../../adapters/memory/mfa_store.ts';
import { RedisFlowStore, RedisMfaFactorStore, RedisMfaLockoutStore, RedisSmsCodeStore } from '../../adapters/redis/mfa_store.ts';
import { MemoryAuditLog } from '../../adapters/memory/audit_log.ts';
import { RedisAuditLog } from '../../adapters/redis/audit_log.ts';
import { CorruptRecordError } from '../../adapters/records.ts';
import { mailOutboxContract } from './mail_outbox.contract.ts';
import { MemoryMailOutbox } from '../../adapters/memory/mail_outbox.ts';
import { RedisMailOutbox } from '../../adapters/redis/mail_outbox.ts';
import { DEFAULT_MAIL_RETENTION_SECONDS } from '../../notify/outbox.ts';

describe('store contracts: memory', () => {
  describe('DirectoryStore', () => {
    directoryStoreContract(() => new MemoryDirectoryStore());
  });
  describe('oidc-provider adapter', () => {
    oidcAdapterContract(() => new MemoryOidcStorage().adapterFactory());
  });
  describe('oidc account index', () => {
    oidcAccountIndexContract(() => {
      const storage = new MemoryOidcStorage();
      return { adapter: storage.adapterFactory(), accounts: storage };
    });
  });
  describe('MFA stores', () => {
    mfaStoreContract(() => ({ factors: new MemoryMfaFactorStore(), lockout: new MemoryMfaLockoutStore(), flow: new MemoryFlowStore() }));
  });
  describe('SmsCodeStore', () => {
    smsCodeStoreContract(() => new MemorySmsCodeStore());
  });
  describe('AuditLog', () => {
    auditLogContract(() => new MemoryAuditLog());
  });
  describe('MailOutbox', () => {
    mailOutboxContract(() => new MemoryMailOutbox());
  });
  it('a mail outbox key can be queued again once its retention has passed, by the injected clock', async () => {
    const clock = manualClock();
    const outbox = new MemoryMailOutbox(clock);
    const mail = { to: 'pat@acme.test', subject: 's', text: 't' };
    assert.equal(await outbox.enqueueOnce('k', mail, { retentionSeconds: 60 }), true);
    clock.advance(59_999);
    assert.equal(await outbox.enqueueOnce('k', mail), false);
    clock.advance(1);
    assert.equal(await outbox.enqueueOnce('k', mail), true);
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
  it('drops an account index entry when its session expires, by the injected clock', async () => {
    const clock = manualClock();
    const storage = new MemoryOidcStorage(clock);
    const sessions = storage.adapterFactory()('Session');
    await sessions.upsert('short', { uid: 'uid-s', accountId: 'usr_a' }, 60);
    await sessions.upsert('long', { uid: 'uid-l', accountId: 'usr_a' }, 3600);
    clock.advance(60_000);
    assert.deepEqual(await storage.sessionIdsOf('usr_a'), ['long']);
    await sessions.upsert('long', { uid: 'uid-l', accountId: 'usr_a' }, 3600);
    clock.advance(3599_000);
    assert.deepEqual(await storage.sessionIdsOf('usr_a'), ['long'], 'a save extends the entry');
    clock.advance(1_000);
    assert.deepEqual(await storage.sessionIdsOf('usr_a'), []);
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
    client = await openRedis(redis().topology);
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
  describe('oidc account index', () => {
    oidcAccountIndexContract(() => {
      const p = prefix();
      return { adapter: redisOidcAdapterFactory(redisClient(), p), accounts: new RedisOidcAccountIndex(redisClient(), p) };
    });
  });

  describe('MFA stores', () => {
    mfaStoreContract(() => {
      const p = prefix();
      return { factors: new RedisMfaFactorStore(redisClient(), p), lockout: new RedisMfaLockoutStore(redisClient(), p), flow: new RedisFlowStore(redisClient(), p) };
    });
  });
  describe('SmsCodeStore', () => {
    smsCodeStoreContract(() => new RedisSmsCodeStore(redisClient(), prefix()));
  });
  describe('AuditLog', () => {
    auditLogContract(() => new RedisAuditLog(redisClient(), prefix()));
  });
  describe('MailOutbox', () => {
    mailOutboxContract(() => new RedisMailOutbox(redisClient(), prefix()));
  });

  it('a mail outbox key is kept for its retention (a TTL), under a hash of the key: no id, date or address in key names', async () => {
    const p = prefix();
    const outbox = new RedisMailOutbox(redisClient(), p);
    await outbox.enqueueOnce('security:usr_1:mfa.enrolled:1700000000000', { to: 'pat@acme.test', subject: 's', text: 't' }, { retentionSeconds: 3600 });
    await outbox.enqueueOnce('mfa-deadline:acme:usr_2:2027-03-01', { to: 'kim@acme.test', subject: 's', text: 't' });
    const keys = await redisClient().keys(`${p}*`);
    for (const key of keys) assert.doesNotMatch(key.slice(p.length), /usr_|acme|2027|1700000000000/, key);
    const onceKeys = keys.filter((key) => key.includes(':once:'));
    assert.equal(onceKeys.length, 2);
    const ttls = (await Promise.all(onceKeys.map((key) => redisClient().ttl(key)))).sort((a, b) => a - b);
    assert.ok(ttls[0]! > 3590 && ttls[0]! <= 3600, `ttl ${ttls[0]}`);
    assert.ok(ttls[1]! > DEFAULT_MAIL_RETENTION_SECONDS - 10 && ttls[1]! <= DEFAULT_MAIL_RETENTION_SECONDS, `default ttl ${ttls[1]}`);
  });

  it('mail outbox stats skip a queue-time entry whose job an older instance completed (without the index), and drop it', async () => {
    const p = prefix();
    const outbox = new RedisMailOutbox(redisClient(), p);
    await outbox.enqueueOnce('k1', { to: 'pat@acme.test', subject: 's1', text: 't' }, { queuedAtMs: 1000 });
    await outbox.enqueueOnce('k2', { to: 'pat@acme.test', subject: 's2', text: 't' }, { queuedAtMs: 2000 });
    const [first] = await outbox.claimDue(5000, 60_000, 1);
    // What the COMPLETE of a version without the `queued` index did: the job goes, its entry stays.
    await redisClient().hDel(`${p}mail:{outbox}:jobs`, first!.id);
    await redisClient().zRem(`${p}mail:{outbox}:due`, first!.id);
    assert.deepEqual(await outbox.stats(), { depth: 1, oldestQueuedAtMs: 2000 });
    assert.equal(await redisClient().zScore(`${p}mail:{outbox}:queued`, first!.id), null, 'the stale entry is dropped');
  });

  it('an SMS code key expires with the ttl given', async () => {
    const p = prefix();
    await new RedisSmsCodeStore(redisClient(), p).put('k', 'h1', Date.now() + 300_000, 300);
    const ttl = await redisClient().ttl(`${p}sms:k`);
    assert.ok(ttl > 290 && ttl <= 300, `ttl ${ttl}`);
  });

  describe('a corrupt record is an error naming its kind, never a value', () => {
    /** Rejects with CorruptRecordError naming `kind`, and without the key (which holds ids and emails). */
    const corrupt = (kind: string, key: string) => (err: unknown) => {
      assert.ok(err instanceof CorruptRecordError, String(err));
      assert.equal(err.kind, kind);
      assert.ok(!err.message.includes(key), err.message);
      return true;
    };

    it('directory: a user that is not JSON, a user missing a field, a membership with an unknown status', async () => {
      const p = prefix();
      const store = new RedisDirectoryStore(redisClient(), p);
      await redisClient().set(`${p}dir:{u:u1}:user`, '{"id":"u1",');
      await assert.rejects(store.findUser('u1'), corrupt('directory user', 'u1'));
      await redisClient().set(`${p}dir:{u:u1}:user`, JSON.stringify({ id: 'u1', email: 'a@b.test', name: 'A', status: 'active' }));
      await assert.rejects(store.findUser('u1'), corrupt('directory user', 'u1'));
      await redisClient().hSet(`${p}dir:{u:u1}:memberships`, 'acme', JSON.stringify({ userId: 'u1', companyId: 'acme', status: 'owner', permissions: {}, payRoles: [] }));
      await assert.rejects(store.membershipsOfUser('u1'), corrupt('directory membership', 'u1'));
      await redisClient().set(`${p}dir:{c:acme}:company`, JSON.stringify({ id: 'acme' }));
      await assert.rejects(store.findCompany('acme'), corrupt('directory company', 'acme'));
    });

    it('MFA: an authenticator without its sealed secret, a phone number that is a number, a lock count that is not one, flow state that is a list', async () => {
      const p = prefix();
      const factors = new RedisMfaFactorStore(redisClient(), p);
      await redisClient().hSet(`${p}mfa:{u:u1}:factors`, { totp: JSON.stringify({ createdAt: 1 }), phone: JSON.stringify({ e164: 14155550123, country: 'US', createdAt: 1 }) });
      await assert.rejects(factors.getTotp('u1'), corrupt('mfa authenticator', 'u1'));
      await assert.rejects(factors.getPhone('u1'), corrupt('mfa phone', 'u1'));
      await assert.rejects(factors.factorsOf('u1'), corrupt('mfa phone', 'u1'));
      await redisClient().hSet(`${p}mfa:{u:u1}:lock`, { failures: 'many', level: '1' });
      await assert.rejects(new RedisMfaLockoutStore(redisClient(), p).read('u1'), corrupt('mfa lockout', 'u1'));
      await redisClient().set(`${p}flow:k1`, '[1,2]');
      await assert.rejects(new RedisFlowStore(redisClient(), p).get('k1'), corrupt('flow state', 'k1'));
    });

    it('audit: an event of an unknown type', async () => {
      const p = prefix();
      await redisClient().xAdd(`${p}audit:{u:u1}`, '*', { event: JSON.stringify({ type: 'mfa.unknown', userId: 'u1', companyIds: [], at: 1, ip: '', userAgent: '' }) });
      await assert.rejects(new RedisAuditLog(redisClient(), p).forUser('u1', 10), corrupt('audit event', 'u1'));
    });

    it('oidc-provider: a payload that is not an object, found directly or through a consume', async () => {
      const p = prefix();
      const codes = redisOidcAdapterFactory(redisClient(), p)('AuthorizationCode');
      await redisClient().set(`${p}oidc:AuthorizationCode:{c1}`, '"just a string"');
      await assert.rejects(codes.find('c1'), corrupt('oidc AuthorizationCode', 'c1'));
      await redisClient().set(`${p}oidc:AuthorizationCode:{c1}:consumed`, '1');
      await assert.rejects(codes.consume('c1'), corrupt('oidc AuthorizationCode', 'c1'));
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

  it('an account index lives as long as its longest-lived entry, under a key naming only the account id', async () => {
    const p = prefix();
    const sessions = redisOidcAdapterFactory(redisClient(), p)('Session');
    const key = `${p}oidc:account:{usr_a}:Session`;
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'usr_a' }, 3600);
    const first = await redisClient().ttl(key);
    assert.ok(first > 3590 && first <= 3600, `ttl ${first}`);
    await sessions.upsert('s2', { uid: 'uid-2', accountId: 'usr_a' }, 60);
    assert.ok((await redisClient().ttl(key)) > 3590, 'a shorter-lived entry does not shorten it');
    await sessions.upsert('s2', { uid: 'uid-2', accountId: 'usr_a' }, 7200);
    assert.ok((await redisClient().ttl(key)) > 7190, 'a longer-lived one extends it');
    await sessions.upsert('s3', { uid: 'uid-3', accountId: 'usr_a' });
    assert.equal(await redisClient().ttl(key), -1, 'an entry without expiry keeps it');
  });

  it('an account index entry past its expiry is not listed, and the next save drops it', async () => {
    const p = prefix();
    const sessions = redisOidcAdapterFactory(redisClient(), p)('Session');
    const accounts = new RedisOidcAccountIndex(redisClient(), p);
    const key = `${p}oidc:account:{usr_a}:Session`;
    await sessions.upsert('live', { uid: 'uid-1', accountId: 'usr_a' }, 3600);
    await redisClient().zAdd(key, { score: Math.floor(Date.now() / 1000) - 10, value: 'expired' }); // what time does
    assert.deepEqual(await accounts.sessionIdsOf('usr_a'), ['live']);
    await sessions.upsert('other', { uid: 'uid-2', accountId: 'usr_a' }, 3600);
    assert.equal(await redisClient().zScore(key, 'expired'), null);
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
