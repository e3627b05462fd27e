// What a bench phase measures besides time: CPU of each process (the apps, Redis, the driver), RSS and Redis commands.
import { hash, verify } from '@node-rs/argon2';
import { readFileSync } from 'node:fs';
import type { createClient } from 'redis';

type Redis = ReturnType<typeof createClient>;

/** The machine's CPU counters (all cores): how busy a phase kept them, driver and Redis included. */
export function machineCpu(): { idle: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((a, b) => a + b, 0) };
}

/** CPU time (user + system) a process has used, in ms, from /proc (clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** This process's CPU time in ms (the load driver). */
export function driverCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Redis's own CPU time in ms (main thread and all), from INFO. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

/** Commands Redis has run (scripts' inner commands included), INFO itself excluded. */
export async function redisCommands(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (match[1] !== 'info') total += Number(match[2]);
  return total;
}

export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
}

/** argon2id verify time with the production parameters, one at a time. */
export async function argonVerifyMs(): Promise<number> {
  const stored = await hash('bench-password', { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  for (let i = 0; i < 5; i++) await verify(stored, 'bench-password');
  const rounds = 40;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) await verify(stored, 'bench-password');
  return (performance.now() - t0) / rounds;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
