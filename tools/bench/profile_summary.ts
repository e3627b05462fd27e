// Summarises a `node --cpu-prof` profile (BENCH_CPU_PROF=dir npm run bench): self time by package or
// app folder and the hottest functions, so docs/performance.md can say where a flow's CPU goes.
//   node tools/bench/profile_summary.ts <file.cpuprofile> [flows]   (flows: to print ms per flow)
// Start-up (module loading, the seed's password hashing) is left out: samples count from the end of
// the first idle stretch of half a second, which in the bench is the app waiting for the load to begin.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const profileSchema = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }) })),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

const [file, flowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile_summary.ts <file.cpuprofile> [flows]');
const profile = profileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
const flows = Number(flowsArg ?? 0);

const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
const STARTUP_IDLE_US = 500_000;
const firstSample = startOfLoad();
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  if (i >= firstSample) selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

/** The index of the first sample after the first idle stretch of STARTUP_IDLE_US (0 when there is none). */
function startOfLoad(): number {
  let idleRun = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const idle = byId.get(profile.samples[i] ?? -1)?.functionName === '(idle)';
    idleRun = idle ? idleRun + (profile.timeDeltas[i] ?? 0) : 0;
    if (idleRun >= STARTUP_IDLE_US) {
      let j = i;
      while (j < profile.samples.length && byId.get(profile.samples[j] ?? -1)?.functionName === '(idle)') j++;
      return j;
    }
  }
  return 0;
}

/** node_modules/<package>, the app's top folder, node's internals, or V8's pseudo-frames ((garbage collector), (program), (idle)). */
function owner(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  const app = /\/work\/[^/]+\/([^/]+)\//.exec(url) ?? /([^/]+)\/[^/]+$/.exec(url);
  return `app:${app?.[1] ?? url}`;
}

const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id);
  if (!frame) continue;
  if (frame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  total += us;
  const who = owner(frame.url, frame.functionName);
  byOwner.set(who, (byOwner.get(who) ?? 0) + us);
  const fn = `${frame.functionName || '(anonymous)'} ${who}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}

const fmt = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%${flows ? ` ${(us / 1000 / flows).toFixed(3).padStart(7)} ms/flow` : ''}`;
const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
const lines = [`busy ${(total / 1000).toFixed(0)} ms (idle ${(idle / 1000).toFixed(0)} ms)${flows ? `, ${(total / 1000 / flows).toFixed(2)} ms per flow over ${flows} flows` : ''}`, '', 'self time by package or folder:'];
for (const [who, us] of top(byOwner, 25)) lines.push(`${fmt(us)}  ${who}`);
lines.push('', 'hottest functions (self time):');
for (const [fn, us] of top(byFunction, 30)) lines.push(`${fmt(us)}  ${fn}`);
process.stdout.write(`${lines.join('\n')}\n`);
