// `npm run bench`: complete logins per second, per-step latency, Redis commands per flow and peak
// RSS, for the real app (password + TOTP) and for a bare oidc-provider baseline (password only),
// measured in the same run on a throwaway Redis. Traffic goes to 127.0.0.1 only, in bounded loops.
import { hash, verify } from '@node-rs/argon2';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, generateSecret } from 'otplib';
import { createClient } from 'redis';
import { generateSigningKey } from '../../config/keys.ts';
import { Browser, type Page } from '../../test/helpers/browser.ts';
import { freePort, RedisServer } from '../../test/helpers/redis_server.ts';
import * as oidc from 'openid-client';

const FLOWS = Number(process.env['BENCH_FLOWS'] ?? 200);
const LEVELS = [8, 32];
const WARMUP = 8;
const ROOT = join(import.meta.dirname, '..', '..');
const CLIENT = { id: 'bench', secret: 'bench-secret-0123456789-abcdefghijk', redirectUri: 'http://127.0.0.1:1/cb' };

interface BenchUser { email: string; password: string; secret: string }
type Timings = Map<string, number[]>;
interface PhaseResult { app: string; concurrency: number; flowsPerSecond: number; timings: Timings; redisCommandsPerFlow: number; cpuBusy: number }

const users: BenchUser[] = Array.from({ length: WARMUP * 2 + FLOWS * LEVELS.length }, (_, i) => ({
  email: `user${i}@bench.test`,
  password: `bench-password-${i}`,
  secret: generateSecret(),
}));

const seedFile = join(mkdtempSync(join(tmpdir(), 'bench-')), 'seed.json');
writeFileSync(seedFile, JSON.stringify({
  companies: [{ id: 'bench', name: 'Bench Co', emailDomains: ['bench.test'], mfa: { required: true, reverify: '12h' } }],
  users: users.map((u, i) => ({ id: `usr_${i}`, email: u.email, name: `User ${i}`, password: u.password, memberships: [{ company: 'bench' }], totp: { secret: u.secret } })),
  clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, redirect_uris: [CLIENT.redirectUri], first_party: true }],
}));

const redisServer = await RedisServer.start();
const redis = createClient({ url: redisServer.url });
await redis.connect();
const children: ChildProcess[] = [];

try {
  const keys = {
    COOKIE_KEYS: randomBytes(32).toString('base64url'),
    SIGNING_KEYS: JSON.stringify({ keys: [generateSigningKey()] }),
    MFA_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
  };
  // Production mode needs an SMS gateway; the bench never sends a text, so it points nowhere.
  const sms = { SMS_GATEWAY: 'twilio', TWILIO_ACCOUNT_SID: 'ACbench', TWILIO_AUTH_TOKEN: 'bench', TWILIO_FROM: '+15005550006', TWILIO_API_BASE: 'http://127.0.0.1:9' };
  const common = { ...keys, ...sms, REDIS_URL: redisServer.url, SEED_FILE: seedFile, LOG_LEVEL: 'warn', NODE_ENV: 'production', LOGIN_IP_MAX_FAILURES: '100000' };
  const mfaPort = await freePort();
  const basePort = await freePort();
  const mfaApp = await startApp('server.ts', { ...common, PORT: String(mfaPort), ISSUER: `http://127.0.0.1:${mfaPort}`, REDIS_PREFIX: 'bench:mfa:' }, `http://127.0.0.1:${mfaPort}/readyz`);
  const baseApp = await startApp('tools/bench/baseline_app.ts', { ...common, PORT: String(basePort), ISSUER: `http://127.0.0.1:${basePort}`, REDIS_PREFIX: 'bench:' }, `http://127.0.0.1:${basePort}/.well-known/openid-configuration`);

  const argonMs = await argonVerifyMs();
  const results: PhaseResult[] = [];
  let next = 0;
  const take = (n: number) => users.slice(next, (next += n));
  const mfaRp = await relyingParty(`http://127.0.0.1:${mfaPort}`);
  const baseRp = await relyingParty(`http://127.0.0.1:${basePort}`);

  await runPhase('mfa', mfaRp, take(WARMUP), WARMUP, mfaFlow);
  await runPhase('baseline', baseRp, take(WARMUP), WARMUP, baselineFlow);
  for (const concurrency of LEVELS) {
    results.push(await runPhase('mfa', mfaRp, take(FLOWS), concurrency, mfaFlow));
    results.push(await runPhase('baseline', baseRp, users.slice(0, FLOWS), concurrency, baselineFlow));
  }
  report(results, argonMs, { mfa: peakRssMb(mfaApp), baseline: peakRssMb(baseApp) });
} finally {
  for (const child of children) child.kill('SIGTERM');
  await redis.close();
  await redisServer.stop();
}

async function startApp(entry: string, env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, entry)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(readyUrl).then((r) => r.ok, () => false);
    if (ok) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${entry} did not become ready`);
}

function relyingParty(issuer: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), CLIENT.id, undefined, oidc.ClientSecretBasic(CLIENT.secret), { execute: [oidc.allowInsecureRequests] });
}

type Flow = (rp: oidc.Configuration, user: BenchUser, time: (step: string, ms: number) => void) => Promise<void>;

async function runPhase(app: string, rp: oidc.Configuration, batch: BenchUser[], concurrency: number, flow: Flow): Promise<PhaseResult> {
  const timings: Timings = new Map();
  const time = (step: string, ms: number) => {
    const list = timings.get(step) ?? [];
    list.push(ms);
    timings.set(step, list);
  };
  const before = await commandCount();
  const cpuBefore = cpuTimes();
  const started = performance.now();
  let index = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let user = batch[index++]; user !== undefined; user = batch[index++]) {
      const t0 = performance.now();
      await flow(rp, user, time);
      time('total', performance.now() - t0);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuTimes();
  const cpuBusy = 1 - (cpuAfter.idle - cpuBefore.idle) / (cpuAfter.total - cpuBefore.total);
  return { app, concurrency, flowsPerSecond: batch.length / seconds, timings, redisCommandsPerFlow: ((await commandCount()) - before) / batch.length, cpuBusy };
}

/** Times one step; a step that does not end where expected fails the bench. */
async function step<T>(name: string, time: (step: string, ms: number) => void, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await run();
  time(name, performance.now() - t0);
  return result;
}

async function follow(browser: Browser, page: Page): Promise<Page> {
  let current = page;
  for (let i = 0; i < 10 && current.location !== undefined && !current.location.startsWith('http://127.0.0.1:1/'); i++) current = await browser.get(current.location);
  return current;
}

async function authorize(rp: oidc.Configuration, browser: Browser) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: CLIENT.redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const page = await follow(browser, await browser.get(url.href));
  const uid = /\/interaction\/([\w-]+)\//.exec(page.body)?.[1];
  if (!uid) throw new Error(`authorize: no interaction (${page.status})`);
  return { verifier, state, uid };
}

async function exchange(rp: oidc.Configuration, callback: Page, verifier: string, state: string): Promise<void> {
  if (!callback.location?.startsWith(CLIENT.redirectUri)) throw new Error(`no code: ${callback.status} ${callback.body.slice(0, 200)}`);
  await oidc.authorizationCodeGrant(rp, new URL(callback.location), { pkceCodeVerifier: verifier, expectedState: state });
}

async function mfaFlow(rp: oidc.Configuration, user: BenchUser, time: (step: string, ms: number) => void): Promise<void> {
  const browser = new Browser(rp.serverMetadata().issuer);
  const { verifier, state, uid } = await step('authorize', time, () => authorize(rp, browser));
  await step('email', time, () => browser.post(`/interaction/${uid}/email`, { email: user.email }));
  const mfaPage = await step('password', time, async () => follow(browser, await browser.post(`/interaction/${uid}/password`, { email: user.email, password: user.password })));
  const mfaUid = /\/interaction\/([\w-]+)\/mfa\/verify/.exec(mfaPage.body)?.[1];
  if (!mfaUid) throw new Error(`password: no MFA step (${mfaPage.status})`);
  const code = await generate({ secret: user.secret });
  const callback = await step('totp', time, async () => follow(browser, await browser.post(`/interaction/${mfaUid}/mfa/verify`, { code })));
  await step('token', time, () => exchange(rp, callback, verifier, state));
}

async function baselineFlow(rp: oidc.Configuration, user: BenchUser, time: (step: string, ms: number) => void): Promise<void> {
  const browser = new Browser(rp.serverMetadata().issuer);
  const { verifier, state, uid } = await step('authorize', time, () => authorize(rp, browser));
  const callback = await step('password', time, async () => follow(browser, await browser.post(`/interaction/${uid}/login`, { email: user.email, password: user.password })));
  await step('token', time, () => exchange(rp, callback, verifier, state));
}

/** The machine's CPU counters (all cores): how busy the phase kept them, driver and Redis included. */
function cpuTimes(): { idle: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
}

async function commandCount(): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (match[1] !== 'info') total += Number(match[2]);
  return total;
}

function peakRssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** argon2id verify time with the production parameters, one at a time. */
async function argonVerifyMs(): Promise<number> {
  const stored = await hash('bench-password', { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  for (let i = 0; i < 5; i++) await verify(stored, 'bench-password');
  const rounds = 40;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await verify(stored, 'bench-password');
  return (performance.now() - t0) / rounds;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function report(results: PhaseResult[], argonMs: number, rss: Record<string, number>): void {
  const cores = cpus().length;
  const lines: string[] = [];
  lines.push(`flows per phase: ${FLOWS}; cores: ${cores}; argon2id verify: ${argonMs.toFixed(1)} ms → ceiling ${(cores * 1000 / argonMs).toFixed(0)} logins/s (${cores} cores ÷ verify time)`);
  lines.push('');
  lines.push('app       conc  flows/s  cpu  redis cmds/flow  step       p50 ms  p95 ms  p99 ms');
  for (const r of results) {
    let first = true;
    for (const [stepName, values] of r.timings) {
      const sorted = [...values].sort((a, b) => a - b);
      const cpu = `${Math.round(r.cpuBusy * 100)}%`.padStart(4);
      const head = first ? `${r.app.padEnd(9)} ${String(r.concurrency).padStart(4)}  ${r.flowsPerSecond.toFixed(1).padStart(7)} ${cpu}  ${r.redisCommandsPerFlow.toFixed(1).padStart(15)}` : ' '.repeat(44);
      lines.push(`${head}  ${stepName.padEnd(9)} ${percentile(sorted, 50).toFixed(1).padStart(7)} ${percentile(sorted, 95).toFixed(1).padStart(7)} ${percentile(sorted, 99).toFixed(1).padStart(7)}`);
      first = false;
    }
  }
  lines.push('');
  for (const concurrency of LEVELS) {
    const mfa = results.find((r) => r.app === 'mfa' && r.concurrency === concurrency);
    const base = results.find((r) => r.app === 'baseline' && r.concurrency === concurrency);
    if (!mfa || !base) continue;
    const p99 = (r: PhaseResult) => percentile([...(r.timings.get('total') ?? [])].sort((a, b) => a - b), 99);
    lines.push(`at ${concurrency} concurrent: MFA/baseline flows per second ${(mfa.flowsPerSecond / base.flowsPerSecond).toFixed(2)} (target ≥ 0.80); p99 ${(p99(mfa) / p99(base)).toFixed(2)} × baseline${concurrency === 8 ? ' (target ≤ 1.25)' : ''}`);
  }
  lines.push(`peak RSS: mfa ${rss['mfa']?.toFixed(0)} MB, baseline ${rss['baseline']?.toFixed(0)} MB`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
