// `npm run bench`: complete logins per second, per-step latency, CPU per flow (each app, Redis, the
// driver), Redis commands per flow and peak RSS, for the real app (email, password, TOTP, token) and a
// bare oidc-provider baseline (password, token), measured in the same run on a throwaway Redis, with
// the issue's goals printed as ratios. Traffic goes to 127.0.0.1 only, in bounded loops.
//   BENCH_FLOWS=200       flows per phase
//   BENCH_HASH=off        both apps verify passwords against a trivially cheap hash: their own CPU per flow
//   BENCH_CPU_PROF=dir    `node --cpu-prof` profiles of both apps into dir (tools/bench/profile_summary.ts reads them)
import { cpus } from 'node:os';
import type * as oidc from 'openid-client';
import { baselineFlow, drive, mfaFlow, relyingParty, type Flow } from './flows.ts';
import { argonVerifyMs, driverCpuMs, machineCpu, percentile, processCpuMs, redisCommands, redisCpuMs, rssMb } from './measure.ts';
import { startWorld, type AppProcess, type BenchUser, type BenchWorld } from './world.ts';

const FLOWS = Number(process.env['BENCH_FLOWS'] ?? 200);
const HASH = process.env['BENCH_HASH'] !== 'off';
const LEVELS = [8, 32];
const WARMUP = 8;
const GOAL = { flowsRatio: 0.9, p99Ratio: 1.25, appCpuMs: 2, ceilingShare: 0.6 };

interface PhaseResult {
  app: 'mfa' | 'baseline';
  concurrency: number;
  flowsPerSecond: number;
  timings: Map<string, number[]>;
  redisCommandsPerFlow: number;
  cpuBusy: number;
  /** CPU ms per flow: the app's process, Redis, the load driver. */
  cpu: { app: number; redis: number; driver: number };
}

const world = await startWorld({ userCount: WARMUP * 2 + FLOWS * LEVELS.length, baseline: true, hash: HASH, cpuProfileDir: process.env['BENCH_CPU_PROF'] });
try {
  const baselineApp = world.baseline;
  if (!baselineApp) throw new Error('no baseline');
  const argonMs = await argonVerifyMs();
  const mfaRp = await relyingParty(world.mfa.issuer);
  const baseRp = await relyingParty(baselineApp.issuer);
  let next = 0;
  const take = (n: number) => world.users.slice(next, (next += n));

  await runPhase(world, 'mfa', world.mfa, mfaRp, take(WARMUP), WARMUP, mfaFlow);
  await runPhase(world, 'baseline', baselineApp, baseRp, take(WARMUP), WARMUP, baselineFlow);
  const results: PhaseResult[] = [];
  for (const concurrency of LEVELS) {
    results.push(await runPhase(world, 'mfa', world.mfa, mfaRp, take(FLOWS), concurrency, mfaFlow));
    results.push(await runPhase(world, 'baseline', baselineApp, baseRp, world.users.slice(0, FLOWS), concurrency, baselineFlow));
  }
  process.stdout.write(report(results, argonMs, { mfa: rssMb(world.mfa.pid, 'VmHWM'), baseline: rssMb(baselineApp.pid, 'VmHWM') }));
} finally {
  await world.stop();
}

async function runPhase(w: BenchWorld, app: PhaseResult['app'], target: AppProcess, rp: oidc.Configuration, batch: BenchUser[], concurrency: number, flow: Flow): Promise<PhaseResult> {
  const timings = new Map<string, number[]>();
  const time = (step: string, ms: number) => {
    timings.set(step, [...(timings.get(step) ?? []), ms]);
  };
  const before = { commands: await redisCommands(w.redis), machine: machineCpu(), app: processCpuMs(target.pid), redis: await redisCpuMs(w.redis), driver: driverCpuMs() };
  const started = performance.now();
  let index = 0;
  await drive(concurrency, () => batch[index++], flow, rp, time);
  const seconds = (performance.now() - started) / 1000;
  const machine = machineCpu();
  const n = batch.length;
  return {
    app,
    concurrency,
    flowsPerSecond: n / seconds,
    timings,
    cpuBusy: 1 - (machine.idle - before.machine.idle) / (machine.total - before.machine.total),
    // The commands read here (INFO) and the driver's own bookkeeping are a rounding error over a phase.
    redisCommandsPerFlow: ((await redisCommands(w.redis)) - before.commands) / n,
    cpu: { app: (processCpuMs(target.pid) - before.app) / n, redis: ((await redisCpuMs(w.redis)) - before.redis) / n, driver: (driverCpuMs() - before.driver) / n },
  };
}

function report(results: PhaseResult[], argonMs: number, peakRss: Record<string, number>): string {
  const cores = cpus().length;
  const ceiling = (cores * 1000) / argonMs;
  const lines: string[] = [];
  lines.push(`flows per phase: ${FLOWS}; cores: ${cores}; password hashing: ${HASH ? 'argon2id (OWASP parameters)' : 'off (BENCH_HASH=off: a trivially cheap hash in both apps)'}`);
  lines.push(`argon2id verify: ${argonMs.toFixed(1)} ms → ceiling ${ceiling.toFixed(0)} logins/s (${cores} cores ÷ verify time)`);
  lines.push('');
  lines.push('app       conc  flows/s  cpu  redis cmds  cpu ms/flow: app  redis  driver  step       p50 ms  p95 ms  p99 ms');
  for (const r of results) {
    let first = true;
    for (const [stepName, values] of r.timings) {
      const head = first
        ? `${r.app.padEnd(9)} ${String(r.concurrency).padStart(4)}  ${r.flowsPerSecond.toFixed(1).padStart(7)} ${`${Math.round(r.cpuBusy * 100)}%`.padStart(4)}  ${r.redisCommandsPerFlow.toFixed(1).padStart(10)}  ${r.cpu.app.toFixed(2).padStart(16)} ${r.cpu.redis.toFixed(2).padStart(6)} ${r.cpu.driver.toFixed(2).padStart(7)}`
        : ' '.repeat(83);
      lines.push(`${head}  ${stepName.padEnd(9)} ${percentile(values, 50).toFixed(1).padStart(7)} ${percentile(values, 95).toFixed(1).padStart(7)} ${percentile(values, 99).toFixed(1).padStart(7)}`);
      first = false;
    }
  }
  lines.push('');
  const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
  for (const concurrency of LEVELS) {
    const mfa = results.find((r) => r.app === 'mfa' && r.concurrency === concurrency);
    const base = results.find((r) => r.app === 'baseline' && r.concurrency === concurrency);
    if (!mfa || !base) continue;
    const flows = mfa.flowsPerSecond / base.flowsPerSecond;
    const p99 = percentile(mfa.timings.get('total') ?? [], 99) / percentile(base.timings.get('total') ?? [], 99);
    const p99Goal = concurrency === 8 ? `, goal ≤ ${GOAL.p99Ratio}: ${verdict(p99 <= GOAL.p99Ratio)}` : '';
    lines.push(`at ${concurrency} concurrent: MFA ÷ baseline flows per second ${flows.toFixed(2)} (goal ≥ ${GOAL.flowsRatio}: ${verdict(flows >= GOAL.flowsRatio)}); p99 ${p99.toFixed(2)} × baseline${p99Goal}`);
    const nonHash = mfa.cpu.app + mfa.cpu.redis + mfa.cpu.driver - (HASH ? argonMs : 0);
    lines.push(`  CPU per MFA flow ${(mfa.cpu.app + mfa.cpu.redis + mfa.cpu.driver).toFixed(1)} ms (app ${mfa.cpu.app.toFixed(1)}, Redis ${mfa.cpu.redis.toFixed(1)}, driver ${mfa.cpu.driver.toFixed(1)}); without the password hash ${nonHash.toFixed(1)} ms; baseline ${(base.cpu.app + base.cpu.redis + base.cpu.driver).toFixed(1)} ms`);
  }
  const mfa32 = results.find((r) => r.app === 'mfa' && r.concurrency === 32);
  if (mfa32 && HASH) {
    const share = mfa32.flowsPerSecond / ceiling;
    lines.push(`at 32 concurrent: MFA flows per second ÷ argon2id ceiling ${share.toFixed(2)} (goal ≥ ${GOAL.ceilingShare}: ${verdict(share >= GOAL.ceilingShare)})`);
  }
  if (!HASH) {
    const appCpu = Math.max(...results.filter((r) => r.app === 'mfa').map((r) => r.cpu.app));
    lines.push(`app's own CPU per MFA flow (hash off): ${appCpu.toFixed(2)} ms (goal ≤ ${GOAL.appCpuMs}: ${verdict(appCpu <= GOAL.appCpuMs)})`);
  } else {
    lines.push(`app's own CPU per MFA flow: measured with BENCH_HASH=off (goal ≤ ${GOAL.appCpuMs} ms)`);
  }
  lines.push(`peak RSS: mfa ${peakRss['mfa']?.toFixed(0)} MB, baseline ${peakRss['baseline']?.toFixed(0)} MB`);
  return `${lines.join('\n')}\n`;
}
