import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../config/config.ts';
import { generateSigningKey } from '../../config/keys.ts';

const KEYS = {
  COOKIE_KEYS: 'k'.repeat(32),
  SIGNING_KEYS: JSON.stringify({ keys: [generateSigningKey()] }),
};

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
  });

  const production = [
    { env: {}, missing: ['REDIS_URL', 'COOKIE_KEYS', 'SIGNING_KEYS'] },
    { env: { REDIS_URL: 'redis://x' }, missing: ['COOKIE_KEYS', 'SIGNING_KEYS'] },
    { env: { ...KEYS }, missing: ['REDIS_URL'] },
    { env: { REDIS_URL: 'redis://x', COOKIE_KEYS: KEYS.COOKIE_KEYS }, missing: ['SIGNING_KEYS'] },
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
    const config = loadConfig({ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379', ...KEYS });
    assert.equal(config.ephemeralKeys, false);
    assert.deepEqual(config.redis, { url: 'redis://r:6379', prefix: 'idp:' });
  });

  it('keeps several cookie keys, newest first', () => {
    const config = loadConfig({ COOKIE_KEYS: `${'a'.repeat(32)}, ${'b'.repeat(40)}` });
    assert.deepEqual(config.cookieKeys, ['a'.repeat(32), 'b'.repeat(40)]);
  });

  const invalid: [Record<string, string>, RegExp][] = [
    [{ COOKIE_KEYS: 'short' }, /at least 32 characters/],
    [{ SIGNING_KEYS: 'not json' }, /SIGNING_KEYS: not valid JSON/],
    [{ SIGNING_KEYS: '{"keys":[{"kty":"RSA"}]}' }, /SIGNING_KEYS: keys\.0\.kid/],
    [{ PORT: 'eighty' }, /PORT/],
    [{ ISSUER: 'not a url' }, /ISSUER/],
    [{ LOGIN_ACCOUNT_MAX_FAILURES: '0' }, /LOGIN_ACCOUNT_MAX_FAILURES/],
  ];
  for (const [env, message] of invalid) {
    it(`rejects ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }
});
