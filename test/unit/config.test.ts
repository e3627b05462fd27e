import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../config/config.ts';
import { generateSigningKey } from '../../config/keys.ts';

const KEYS = {
  COOKIE_KEYS: 'k'.repeat(32),
  SIGNING_KEYS: JSON.stringify({ keys: [generateSigningKey()] }),
  MFA_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
};
const TWILIO = { SMS_GATEWAY: 'twilio', TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'token', TWILIO_FROM: '+15005550006' };

describe('configuration', () => {
  it('defaults: port 3000, issuer on localhost, in-memory stores, ephemeral keys', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.issuer, 'http://localhost:3000');
    assert.equal(config.redis, undefined);
    assert.equal(config.ephemeralKeys, true);
    assert.equal(config.cookieKeys.length, 1);
    assert.equal(config.signingKeys.keys.length, 1);
    assert.equal(config.sessionTtlSeconds, 43200);
    assert.deepEqual(config.refreshTokens, { absoluteSeconds: 30 * 86400, idleSeconds: 14 * 86400 });
  });

  const production = [
    { env: {}, missing: ['REDIS_URL', 'COOKIE_KEYS', 'SIGNING_KEYS', 'MFA_ENCRYPTION_KEYS'] },
    { env: { REDIS_URL: 'redis://x' }, missing: ['COOKIE_KEYS', 'SIGNING_KEYS', 'MFA_ENCRYPTION_KEYS'] },
    { env: { ...KEYS }, missing: ['REDIS_URL'] },
    { env: { REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' }, missing: ['COOKIE_KEYS', 'SIGNING_KEYS', 'MFA_ENCRYPTION_KEYS'] },
    { env: { REDIS_URL: 'redis://x', COOKIE_KEYS: KEYS.COOKIE_KEYS, MFA_ENCRYPTION_KEYS: KEYS.MFA_ENCRYPTION_KEYS }, missing: ['SIGNING_KEYS'] },
  ];
  for (const { env, missing } of production) {
    it(`production refuses to start without ${missing.join(', ')}`, () => {
      assert.throws(
        () => loadConfig({ NODE_ENV: 'production', ...env }),
        (err: unknown) => err instanceof ConfigError && err.message.includes(`without ${missing.join(', ')}.`),
      );
    });
  }

  it('production starts with everything shared set', () => {
    const config = loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', ...KEYS, ...TWILIO });
    assert.equal(config.ephemeralKeys, false);
    assert.deepEqual(config.redis, { topology: { kind: 'single', url: 'redis://r:6379' }, prefix: 'idp:', replicaAcks: { replicas: 0, timeoutMs: 500 } });
  });

  describe('the Redis deployment', () => {
    const withKeys = (env: Record<string, string>) => loadConfig({ ...KEYS, ...env });
    it('a cluster from its seed nodes, waiting for one replica by default', () => {
      const config = withKeys({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002', REDIS_PASSWORD: 'pw' });
      assert.deepEqual(config.redis?.topology, {
        kind: 'cluster',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
          { host: '::1', port: 7002 },
        ],
        credentials: { username: undefined, password: 'pw' },
      });
      assert.deepEqual(config.redis?.replicaAcks, { replicas: 1, timeoutMs: 500 });
    });
    it('a Sentinel deployment by its sentinels and master name', () => {
      const config = withKeys({ REDIS_SENTINELS: 'a:26379,b:26380', REDIS_SENTINEL_NAME: 'idp', REDIS_REPLICA_ACKS: '0' });
      assert.deepEqual(config.redis?.topology, {
        kind: 'sentinel',
        sentinels: [
          { host: 'a', port: 26379 },
          { host: 'b', port: 26380 },
        ],
        masterName: 'idp',
        credentials: { username: undefined, password: undefined },
      });
      assert.equal(config.redis?.replicaAcks.replicas, 0);
    });
    const refused: [Record<string, string>, RegExp][] = [
      [{ REDIS_URL: 'redis://x', REDIS_CLUSTER_NODES: 'a:1' }, /one of REDIS_URL, REDIS_CLUSTER_NODES/],
      [{ REDIS_SENTINELS: 'a:1' }, /REDIS_SENTINELS needs REDIS_SENTINEL_NAME/],
      [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME needs REDIS_SENTINELS/],
      [{ REDIS_CLUSTER_NODES: 'a' }, /"a" is not host:port/],
      [{ REDIS_CLUSTER_NODES: 'a:70000' }, /"a:70000" is not host:port/],
      [{ REDIS_URL: 'redis://x', REDIS_PREFIX: 'idp:{x}:' }, /REDIS_PREFIX: must not contain \{ or \}/],
    ];
    for (const [env, message] of refused) {
      it(`refuses ${JSON.stringify(env)}`, () => {
        assert.throws(() => withKeys(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
      });
    }
  });

  it('production refuses the logging SMS gateway; Twilio needs its credentials', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://r', ...KEYS }), /SMS_GATEWAY=log .* development only/);
    assert.throws(() => loadConfig({ SMS_GATEWAY: 'twilio', TWILIO_ACCOUNT_SID: 'AC1' }), /needs TWILIO_AUTH_TOKEN, TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID/);
    const config = loadConfig({ ...TWILIO, TWILIO_FROM: undefined, TWILIO_MESSAGING_SERVICE_SID: 'MG1', TWILIO_API_BASE: 'http://127.0.0.1:9/' });
    assert.deepEqual(config.sms.gateway, { kind: 'twilio', accountSid: 'AC123', authToken: 'token', from: { messagingServiceSid: 'MG1' }, apiBase: 'http://127.0.0.1:9', timeoutMs: 5000 });
    const quicker = loadConfig({ ...TWILIO, SMS_GATEWAY_TIMEOUT_SECONDS: '1.5' }).sms.gateway;
    assert.equal(quicker.kind === 'twilio' ? quicker.timeoutMs : undefined, 1500);
    assert.deepEqual(loadConfig({}).sms.countries, ['US', 'CA', 'MX', 'GB', 'IE', 'FR', 'DE', 'ES', 'IT', 'AU', 'NZ', 'SG', 'HK']);
  });

  it('trusts one proxy hop by default behind a proxy, or as many as TRUSTED_PROXY_HOPS says', () => {
    assert.deepEqual([loadConfig({}).trustProxy, loadConfig({ TRUST_PROXY: 'true' }).trustedProxyHops], [false, 1]);
    assert.equal(loadConfig({ TRUST_PROXY: 'true', TRUSTED_PROXY_HOPS: '2' }).trustedProxyHops, 2);
  });

  it('refuses Redis without an encryption key, whose secrets would not survive a restart', () => {
    assert.throws(() => loadConfig({ REDIS_URL: 'redis://x' }), /MFA_ENCRYPTION_KEYS is required with Redis \(REDIS_URL/);
  });

  it('reads MFA limits and rotating encryption keys', () => {
    const config = loadConfig({ MFA_LOCK_MINUTES: '2,10', MFA_ENCRYPTION_KEYS: `new:${Buffer.alloc(32, 2).toString('base64')},old:${Buffer.alloc(32, 3).toString('base64')}` });
    assert.deepEqual(config.mfaLimits.lockMinutes, [2, 10]);
    assert.deepEqual(config.mfaEncryptionKeys.map((k) => k.id), ['new', 'old']);
  });

  it('keeps several cookie keys, newest first', () => {
    const config = loadConfig({ COOKIE_KEYS: `${'a'.repeat(32)}, ${'b'.repeat(40)}` });
    assert.deepEqual(config.cookieKeys, ['a'.repeat(32), 'b'.repeat(40)]);
  });

  it('listens on loopback in development and on every interface in production, unless HOST says otherwise', () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).host, '127.0.0.1');
    assert.equal(loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://r', ...KEYS, ...TWILIO }).host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://r', ...KEYS, ...TWILIO, HOST: '10.0.0.4' }).host, '10.0.0.4');
  });

  it('bounds requests to 15 s unless REQUEST_TIMEOUT_SECONDS says otherwise', () => {
    assert.equal(loadConfig({}).requestTimeoutMs, 15_000);
    assert.equal(loadConfig({ REQUEST_TIMEOUT_SECONDS: '3' }).requestTimeoutMs, 3000);
  });

  const invalid: [Record<string, string>, RegExp][] = [
    [{ COOKIE_KEYS: 'short' }, /at least 32 characters/],
    [{ SIGNING_KEYS: 'not json' }, /SIGNING_KEYS: not valid JSON/],
    [{ SIGNING_KEYS: '{"keys":[{"kty":"RSA"}]}' }, /SIGNING_KEYS: keys\.0\.kid/],
    [{ PORT: 'eighty' }, /PORT/],
    [{ ISSUER: 'not a url' }, /ISSUER/],
    [{ LOGIN_ACCOUNT_MAX_FAILURES: '0' }, /LOGIN_ACCOUNT_MAX_FAILURES/],
    [{ MFA_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' }, /must be 32 bytes/],
    [{ MFA_ENCRYPTION_KEYS: 'nocolon' }, /not "id:base64key"/],
    [{ MFA_LOCK_MINUTES: '1,x' }, /MFA_LOCK_MINUTES/],
    [{ REQUEST_TIMEOUT_SECONDS: '0' }, /REQUEST_TIMEOUT_SECONDS/],
    [{ HOST: '' }, /HOST/],
    [{ TRUST_PROXY: 'true', TRUSTED_PROXY_HOPS: '0' }, /TRUSTED_PROXY_HOPS/],
    [{ TRUSTED_PROXY_HOPS: '2' }, /TRUSTED_PROXY_HOPS needs TRUST_PROXY=true/],
  ];
  for (const [env, message] of invalid) {
    it(`rejects ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }
});
