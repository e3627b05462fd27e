import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { ADMIN_SEED } from './admin.ts';
import { startIdp, type Backend, type RunningIdp } from './idp.ts';
import { TestSmtpServer } from './smtp.ts';

/** The app on the admin seed, with a manual clock and a real SMTP server: what the console and account suites start from. */
export interface AdminWorld {
  running: RunningIdp;
  clock: ManualClock;
  smtp: TestSmtpServer;
}

export async function startAdminWorld(backend: Backend): Promise<AdminWorld> {
  const smtp = new TestSmtpServer();
  await smtp.start();
  const clock = manualClock();
  const running = await startIdp(backend, { clock, smtpUrl: smtp.url, env: { SEED_FILE: ADMIN_SEED } });
  return { running, clock, smtp };
}

export async function stopAdminWorld(world: Pick<AdminWorld, 'running' | 'smtp'>): Promise<void> {
  await world.running.close();
  await world.smtp.stop();
}
