// The bench's world: a throwaway Redis, the real app and the bare oidc-provider baseline, each in its own process,
// seeded with the same users. Traffic stays on 127.0.0.1.
import { cheapHash } from './cheap_hash.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from 'otplib';
import { createClient } from 'redis';
import { RedisDirectoryStore } from '../../adapters/redis/directory_store.ts';
import { generateSigningKey } from '../../config/keys.ts';
import { freePort, RedisServer } from '../../test/helpers/redis_server.ts';

export interface BenchUser {
  id: string;
  email: string;
  password: string;
  secret: string;
}

export interface AppProcess {
  issuer: string;
  pid: number;
}

export interface BenchWorld {
  users: BenchUser[];
  mfa: AppProcess;
  baseline: AppProcess | undefined;
  redis: ReturnType<typeof createClient>;
  redisPid: number;
  stop(): Promise<void>;
}

export interface WorldOptions {
  userCount: number;
  /** Start the baseline app too (the soak needs only the real one). */
  baseline: boolean;
  /** false: both apps verify passwords against a trivially cheap argon2id hash, so what is left is their own work. */
  hash: boolean;
  /** A folder for `node --cpu-prof` profiles of both apps, written when they exit. */
  cpuProfileDir?: string | undefined;
}

const ROOT = join(import.meta.dirname, '..', '..');
export const CLIENT = { id: 'bench', secret: 'bench-secret-0123456789-abcdefghijk', redirectUri: 'http://127.0.0.1:1/cb' };
export const MFA_PREFIX = 'bench:mfa:';


export async function startWorld(options: WorldOptions): Promise<BenchWorld> {
  const users: BenchUser[] = Array.from({ length: options.userCount }, (_, i) => ({
    id: `usr_${i}`,
    email: `user${i}@bench.test`,
    password: `bench-password-${i}`,
    secret: generateSecret(),
  }));
  const seedFile = join(mkdtempSync(join(tmpdir(), 'bench-')), 'seed.json');
  writeFileSync(seedFile, JSON.stringify({
    companies: [{ id: 'bench', name: 'Bench Co', emailDomains: ['bench.test'], mfa: { required: true, reverify: '12h' } }],
    users: users.map((u, i) => ({ id: u.id, email: u.email, name: `User ${i}`, password: u.password, memberships: [{ company: 'bench' }], totp: { secret: u.secret } })),
    clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, redirect_uris: [CLIENT.redirectUri], first_party: true }],
  }));

  const redisServer = await RedisServer.start();
  const redis: ReturnType<typeof createClient> = createClient({ url: redisServer.url });
  await redis.connect();
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(async (child) => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    }));
    await redis.close();
    await redisServer.stop();
  };

  try {
    const keys = {
      COOKIE_KEYS: randomBytes(32).toString('base64url'),
      SIGNING_KEYS: JSON.stringify({ keys: [generateSigningKey()] }),
      MFA_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    };
    // Production mode needs an SMS gateway; the bench never sends a text, so it points nowhere.
    const sms = { SMS_GATEWAY: 'twilio', TWILIO_ACCOUNT_SID: 'ACbench', TWILIO_AUTH_TOKEN: 'bench', TWILIO_FROM: '+15005550006', TWILIO_API_BASE: 'http://127.0.0.1:9' };
    const common = { ...keys, ...sms, REDIS_URL: redisServer.url, SEED_FILE: seedFile, LOG_LEVEL: 'warn', NODE_ENV: 'production', LOGIN_IP_MAX_FAILURES: '100000' };
    const nodeFlags = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
    const start = async (name: string, entry: string, env: Record<string, string>, readyPath: string): Promise<AppProcess> => {
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      const child = spawn(process.execPath, [...nodeFlags, join(ROOT, entry)], {
        env: { ...process.env, ...common, ...env, PORT: String(port), ISSUER: issuer, ...(options.cpuProfileDir ? { BENCH_PROFILE_NAME: name } : {}) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      for (let i = 0; i < 1200; i++) {
        if (await fetch(issuer + readyPath).then((r) => r.ok, () => false)) return { issuer, pid: child.pid ?? 0 };
        if (child.exitCode !== null) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${entry} did not become ready`);
    };
    const mfa = await start('mfa', 'server.ts', { REDIS_PREFIX: MFA_PREFIX }, '/readyz');
    const baseline = options.baseline ? await start('baseline', 'tools/bench/baseline_app.ts', { REDIS_PREFIX: 'bench:', BENCH_HASH: options.hash ? 'on' : 'off' }, '/.well-known/openid-configuration') : undefined;
    if (!options.hash) await cheapenPasswords(redis, users);
    return { users, mfa, baseline, redis, redisPid: await redisPid(redis), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** BENCH_HASH=off: the real app's users get a trivially cheap hash of the same password, written where the seed put theirs. */
async function cheapenPasswords(redis: ReturnType<typeof createClient>, users: BenchUser[]): Promise<void> {
  const directory = new RedisDirectoryStore(redis, MFA_PREFIX);
  for (const u of users) {
    const user = await directory.findUser(u.id);
    if (!user) throw new Error(`bench user ${u.id} was not seeded`);
    await directory.saveUser({ ...user, passwordHash: await cheapHash(u.password) });
  }
}

async function redisPid(redis: ReturnType<typeof createClient>): Promise<number> {
  const info = await redis.info('server');
  return Number(/^process_id:(\d+)/m.exec(info)?.[1] ?? 0);
}
