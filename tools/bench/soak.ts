// `npm run soak`: the bench's MFA flow (email, password, TOTP, token) against the real app on Redis,
// SOAK_CONCURRENCY (32) at a time for SOAK_MINUTES (10). Prints, per minute, flows per second, p99 and
// the app's RSS; exits 1 if any flow failed or if RSS grew more than 15% after the first two minutes
// (warm-up: JIT, pools and caches fill then). Traffic goes to 127.0.0.1 only.
import { mfaFlow, relyingParty } from './flows.ts';
import { percentile, rssMb } from './measure.ts';
import { startWorld, type BenchUser } from './world.ts';

const MINUTES = Number(process.env['SOAK_MINUTES'] ?? 10);
const CONCURRENCY = Number(process.env['SOAK_CONCURRENCY'] ?? 32);
/** A user's TOTP code works once per 30 s step, so the pool must outlast a step at full speed. */
const USERS = Number(process.env['SOAK_USERS'] ?? 6000);
const WARMUP_MINUTES = 2;
const MAX_RSS_GROWTH = 0.15;
const STEP_MS = 30_000;

const world = await startWorld({ userCount: USERS, baseline: false, hash: true });
let failed = false;
try {
  const rp = await relyingParty(world.mfa.issuer);
  const lastStep = new Map<string, number>();
  let cursor = 0;
  /** The next user whose code for the current step is unused; waits for the next step if the pool ran out. */
  const nextUser = async (): Promise<BenchUser> => {
    for (;;) {
      const user = world.users[cursor++ % world.users.length];
      if (!user) throw new Error('no users');
      const step = Math.floor(Date.now() / STEP_MS);
      if (lastStep.get(user.id) !== step) {
        lastStep.set(user.id, step);
        return user;
      }
      await new Promise((resolve) => setTimeout(resolve, STEP_MS - (Date.now() % STEP_MS) + 50));
    }
  };

  const started = Date.now();
  const end = started + MINUTES * 60_000;
  const minutes: { flows: number; totals: number[]; errors: number }[] = [];
  const minuteOf = (t: number) => {
    const index = Math.floor((t - started) / 60_000);
    minutes[index] ??= { flows: 0, totals: [], errors: 0 };
    return minutes[index];
  };
  let firstError: unknown;
  const rssByMinute: number[] = [];
  const sampler = setInterval(() => {
    rssByMinute.push(rssMb(world.mfa.pid));
    const index = rssByMinute.length - 1;
    const m = minutes[index] ?? { flows: 0, totals: [], errors: 0 };
    process.stdout.write(`minute ${String(index + 1).padStart(2)}: ${(m.flows / 60).toFixed(1).padStart(6)} flows/s  p99 ${percentile(m.totals, 99).toFixed(0).padStart(5)} ms  RSS ${rssByMinute[index]?.toFixed(0).padStart(4)} MB  errors ${m.errors}\n`);
  }, 60_000);

  process.stdout.write(`soak: ${CONCURRENCY} concurrent MFA flows for ${MINUTES} min against ${world.mfa.issuer} (${USERS} users)\n`);
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const user = await nextUser();
      const t0 = performance.now();
      try {
        await mfaFlow(rp, user, () => undefined);
        const m = minuteOf(Date.now());
        m.flows++;
        m.totals.push(performance.now() - t0);
      } catch (err) {
        minuteOf(Date.now()).errors++;
        firstError ??= err;
      }
    }
  }));
  clearInterval(sampler);

  const errors = minutes.reduce((n, m) => n + m.errors, 0);
  const flows = minutes.reduce((n, m) => n + m.flows, 0);
  const baseline = rssByMinute[WARMUP_MINUTES - 1];
  const peakAfter = Math.max(...rssByMinute.slice(WARMUP_MINUTES));
  const growth = baseline && Number.isFinite(peakAfter) ? peakAfter / baseline - 1 : 0;
  process.stdout.write(`\n${flows} flows, ${errors} errors; RSS after minute ${WARMUP_MINUTES} ${baseline?.toFixed(0) ?? '-'} MB, peak after it ${Number.isFinite(peakAfter) ? peakAfter.toFixed(0) : '-'} MB (growth ${(growth * 100).toFixed(1)}%, limit ${MAX_RSS_GROWTH * 100}%)\n`);
  if (errors > 0) {
    failed = true;
    process.stdout.write(`FAIL: ${errors} flows failed; the first: ${String(firstError)}\n`);
  }
  if (growth > MAX_RSS_GROWTH) {
    failed = true;
    process.stdout.write('FAIL: RSS grew more than the limit after the warm-up\n');
  }
  if (!failed) process.stdout.write('PASS\n');
} finally {
  await world.stop();
}
process.exitCode = failed ? 1 : 0;
