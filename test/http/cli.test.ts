import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRedis, redisTopologyEnv } from '../helpers/redis_access.ts';
import { generateSigningKey } from '../../config/keys.ts';
import { freePort } from '../helpers/redis_server.ts';
import { useRedis } from '../helpers/redis_suite.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

/** Runs one of the project's entry points as an operator would, with only the given environment. */
function run(script: string, args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [join(ROOT, script), ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 30_000 });
}

describe('command line', () => {
  it('the server refuses to start in production without its shared settings, and names them', () => {
    const result = run('server.ts', [], { NODE_ENV: 'production', PORT: '0' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Refusing to start in production without REDIS_URL, COOKIE_KEYS, SIGNING_KEYS, MFA_ENCRYPTION_KEYS/);
  });

  it('npm start with a bad seed file prints the same list of problems as npm run seed, not a stack trace', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'seed-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ users: [{ email: 'zoë ortiz@kestrel.example', name: 'Z', password: 'short' }] }));
    const started = run('server.ts', [], { PORT: '0', SEED_FILE: file, LOG_LEVEL: 'silent' });
    assert.equal(started.status, 1);
    assert.match(started.stderr, /^Seed file rejected:\n {2}users\[0\]\.email: Invalid email address/m);
    assert.match(started.stderr, /^ {2}users\[0\]\.password: at least 8 characters$/m);
    assert.doesNotMatch(started.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
    // The seed command rejects the file before it connects anywhere, so any REDIS_URL will do.
    const seeded = run('tools/seed.ts', [file], { REDIS_URL: 'redis://127.0.0.1:1', MFA_ENCRYPTION_KEYS: KEY });
    assert.equal(seeded.status, 1);
    assert.equal(started.stderr, seeded.stderr);
  });

  describe('the server in production on the suite\'s Redis (a cluster on a cluster run)', () => {
    const redis = useRedis();

    it('passes the production checks, seeds, and answers /readyz once every store answers', async function () {
      this.timeout(30_000);
      const port = await freePort();
      const env = {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        ISSUER: `http://127.0.0.1:${port}`,
        LOG_LEVEL: 'info',
        ...redisTopologyEnv(redis().topology),
        REDIS_PREFIX: `${redis().prefix}production:`,
        COOKIE_KEYS: 'k'.repeat(32),
        SIGNING_KEYS: JSON.stringify({ keys: [generateSigningKey()] }),
        MFA_ENCRYPTION_KEYS: KEY,
        SEED_FILE: join(ROOT, 'test', 'fixtures', 'seed.json'),
        SMS_GATEWAY: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC123',
        TWILIO_AUTH_TOKEN: 'token',
        TWILIO_FROM: '+15005550006',
      };
      const child = spawn(process.execPath, [join(ROOT, 'server.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      try {
        for (const start = Date.now(); !output.includes('identity provider listening'); ) {
          assert.ok(child.exitCode === null, `the server exited: ${output}`);
          assert.ok(Date.now() - start < 20_000, `the server did not start: ${output}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
      } finally {
        const exit = once(child, 'exit');
        child.kill('SIGTERM');
        await exit;
      }
    });
  });

  describe('npm run seed', () => {
    const redis = useRedis();

    it('imports the demo seed into Redis', async () => {
      const prefix = `${redis().prefix}seed:`;
      const result = run('tools/seed.ts', [join(ROOT, 'seed', 'demo.json')], { ...redisTopologyEnv(redis().topology), REDIS_PREFIX: prefix, MFA_ENCRYPTION_KEYS: KEY, LOG_LEVEL: 'silent' });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /Imported 3 companies, \d+ users and 0 clients/);
      const client = await openRedis(redis().topology);
      try {
        assert.equal(await client.get(`${prefix}dir:email:alice@acme.test`), 'usr_demo_alice');
      } finally {
        await client.close();
      }
    });

    it('rejects a bad file with the JSON path of each problem and writes nothing', async () => {
      const prefix = `${redis().prefix}bad:`;
      const file = join(mkdtempSync(join(tmpdir(), 'seed-')), 'bad.json');
      writeFileSync(file, JSON.stringify({ companies: [], users: [{ email: 'a@b.test', name: 'A', password: 'long enough', memberships: [{ company: 'nope' }] }] }));
      const result = run('tools/seed.ts', [file], { ...redisTopologyEnv(redis().topology), REDIS_PREFIX: prefix, MFA_ENCRYPTION_KEYS: KEY });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /users\[0\]\.memberships\[0\]\.company: unknown company "nope"/);
      const client = await openRedis(redis().topology);
      try {
        assert.deepEqual(await client.keys(`${prefix}*`), []);
      } finally {
        await client.close();
      }
    });

    it('needs REDIS_URL', () => {
      const result = run('tools/seed.ts', [join(ROOT, 'seed', 'demo.json')], {});
      assert.equal(result.status, 1);
      assert.match(result.stderr, /REDIS_URL \(or REDIS_CLUSTER_NODES or REDIS_SENTINELS\) is not set/);
    });
  });

  describe('npm run mfa-reset', () => {
    const redis = useRedis();
    const ADMIN_SEED = join(ROOT, 'test', 'fixtures', 'admin_seed.json');
    const env = (prefix: string): Record<string, string> => ({ ...redisTopologyEnv(redis().topology), REDIS_PREFIX: prefix, MFA_ENCRYPTION_KEYS: KEY, LOG_LEVEL: 'silent' });

    it('resets a user’s MFA as support (the way for Procore Pay users), audited with the reason', async () => {
      const prefix = `${redis().prefix}reset:`;
      assert.equal(run('tools/seed.ts', [ADMIN_SEED], env(prefix)).status, 0);
      const result = run('tools/mfa_reset.ts', ['--email', ' TOM.SMITH@ridge.test ', '--reason', 'ticket 42: lost phone, identity checked on a video call'], env(prefix));
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /MFA reset for Tom\.Smith@ridge\.test \(usr_tom\)/);
      const client = await openRedis(redis().topology);
      try {
        assert.deepEqual(await client.hGetAll(`${prefix}mfa:{u:usr_tom}:factors`), { version: '2' }, 'the factors are gone, the version moved on');
        const [entry] = (await client.xRevRange(`${prefix}audit:{u:usr_tom}`, '+', '-', { COUNT: 1 })) ?? [];
        const event = JSON.parse(entry?.message['event'] ?? '{}') as { type: string; detail: Record<string, string> };
        assert.equal(event.type, 'mfa.reset');
        assert.equal(event.detail['by'], 'support');
        assert.equal(event.detail['reason'], 'ticket 42: lost phone, identity checked on a video call');
      } finally {
        await client.close();
      }
    });

    it('needs an email and a reason, and says when no account has the email', () => {
      const prefix = `${redis().prefix}reset-usage:`;
      const noReason = run('tools/mfa_reset.ts', ['--email', 'tom.smith@ridge.test'], env(prefix));
      assert.equal(noReason.status, 2);
      assert.match(noReason.stderr, /--reason/);
      const unknown = run('tools/mfa_reset.ts', ['--email', 'nobody@ridge.test', '--reason', 'ticket 43: checked by phone'], env(prefix));
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /No account has the email address nobody@ridge\.test/);
    });
  });
});
