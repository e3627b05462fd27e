import assert from 'node:assert/strict';
import { startupWarnings, type StartupFacts } from '../../config/startup_warnings.ts';

const SAFE_PRODUCTION: StartupFacts = {
  env: 'production',
  host: '0.0.0.0',
  issuer: 'https://id.example.com',
  trustProxy: true,
  ephemeralKeys: false,
  redis: { topology: { kind: 'single', url: 'redis://r:6379' }, prefix: 'idp:', replicaAcks: { replicas: 0, timeoutMs: 500 } },
};
const DEFAULT_DEVELOPMENT: StartupFacts = {
  env: 'development',
  host: '127.0.0.1',
  issuer: 'http://localhost:3000',
  trustProxy: false,
  ephemeralKeys: true,
  redis: undefined,
};
const EPHEMERAL = ['ephemeral-keys', 'in-memory-store'];

describe('startup warnings', () => {
  const table: [string, Partial<StartupFacts> & { env?: StartupFacts['env'] }, StartupFacts, string[]][] = [
    ['the default development start', {}, DEFAULT_DEVELOPMENT, EPHEMERAL],
    ['development on every IPv4 interface', { host: '0.0.0.0' }, DEFAULT_DEVELOPMENT, ['development-reachable', ...EPHEMERAL]],
    ['development on every IPv6 interface', { host: '::' }, DEFAULT_DEVELOPMENT, ['development-reachable', ...EPHEMERAL]],
    ['development on a LAN address', { host: '192.168.1.20' }, DEFAULT_DEVELOPMENT, ['development-reachable', ...EPHEMERAL]],
    ['development on a name', { host: 'devbox.internal' }, DEFAULT_DEVELOPMENT, ['development-reachable', ...EPHEMERAL]],
    ['development on localhost', { host: 'localhost' }, DEFAULT_DEVELOPMENT, EPHEMERAL],
    ['development on IPv6 loopback', { host: '::1' }, DEFAULT_DEVELOPMENT, EPHEMERAL],
    ['development on another 127/8 address', { host: '127.0.0.2' }, DEFAULT_DEVELOPMENT, EPHEMERAL],
    ['test mode (the demo is mounted too) on every interface', { env: 'test', host: '0.0.0.0' }, DEFAULT_DEVELOPMENT, ['development-reachable', ...EPHEMERAL]],
    ['development with an https issuer and no trusted proxy', { issuer: 'https://id.local' }, DEFAULT_DEVELOPMENT, ['cookies-not-secure', ...EPHEMERAL]],
    ['development with an https issuer behind a trusted proxy', { issuer: 'https://id.local', trustProxy: true }, DEFAULT_DEVELOPMENT, EPHEMERAL],
    ['production behind a TLS proxy', {}, SAFE_PRODUCTION, []],
    ['production with an https issuer and no trusted proxy', { trustProxy: false }, SAFE_PRODUCTION, ['cookies-not-secure']],
    ['production with an http issuer', { issuer: 'http://id.internal:3000', trustProxy: false }, SAFE_PRODUCTION, []],
  ];
  for (const [name, change, base, expected] of table) {
    it(`${name}: ${expected.length === 0 ? 'none' : expected.join(', ')}`, () => {
      assert.deepEqual(
        startupWarnings({ ...base, ...change }).map((w) => w.id),
        expected,
      );
    });
  }

  it('a development server reachable from the network is loud and says how to fix it', () => {
    const [warning] = startupWarnings({ ...DEFAULT_DEVELOPMENT, host: '0.0.0.0', ephemeralKeys: false, redis: SAFE_PRODUCTION.redis });
    assert.equal(warning?.loud, true);
    assert.match(warning?.message ?? '', /NODE_ENV=production/);
    assert.match(warning?.message ?? '', /HOST=127\.0\.0\.1/);
  });
});
