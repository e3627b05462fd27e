import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';
import { TwilioStub } from '../helpers/twilio_stub.ts';
import { LogWatch, watchProcess } from './harness.ts';

/**
 * The app as the fuzz suites run it: in memory, a manual clock, a real SMTP server and the Twilio
 * stub (so no code is ever meant to reach the log), and every limit raised far out of reach: a
 * lockout or a send cap would stop the fuzz at the guard instead of letting it reach the parsers
 * and the use cases. The limits have their own tests.
 */
export interface FuzzWorld {
  running: RunningIdp;
  origin: string;
  clock: ManualClock;
  logs: LogWatch;
  twilio: TwilioStub;
  /** Checks the log and that nothing crashed, then stops everything. */
  close(): Promise<void>;
}

const OUT_OF_REACH = '1000000';

export async function startFuzzWorld(seedFile: string, env: Record<string, string> = {}): Promise<FuzzWorld> {
  const process = watchProcess();
  const smtp = new TestSmtpServer();
  await smtp.start();
  const twilio = new TwilioStub();
  await twilio.start();
  const clock = manualClock();
  const logs = new LogWatch();
  const running = await startIdp(
    { kind: 'memory' },
    {
      clock,
      smtpUrl: smtp.url,
      logger: logs.logger,
      env: {
        SEED_FILE: seedFile,
        ...twilio.env,
        SMS_COOLDOWN_SECONDS: '0',
        ...Object.fromEntries(
          ['SMS_MAX_PER_NUMBER_HOUR', 'SMS_MAX_PER_NUMBER_DAY', 'SMS_MAX_PER_ACCOUNT_HOUR', 'SMS_MAX_PER_ACCOUNT_DAY', 'SMS_MAX_PER_IP_HOUR', 'SMS_MAX_PER_IP_DAY', 'SMS_MAX_PER_COUNTRY_HOUR', 'SMS_MAX_PER_COUNTRY_DAY', 'SMS_MAX_PER_DAY', 'LOGIN_ACCOUNT_MAX_FAILURES', 'LOGIN_IP_MAX_FAILURES', 'MFA_MAX_FAILURES', 'MFA_IP_MAX_FAILURES'].map((name) => [name, OUT_OF_REACH]),
        ),
        ...env,
      },
    },
  );
  return {
    running,
    origin: running.issuer,
    clock,
    logs,
    twilio,
    close: async () => {
      try {
        await running.idp.mail.drain();
        logs.assertClean();
        process.assertNone();
      } finally {
        process.stop();
        await running.close();
        await twilio.stop();
        await smtp.stop();
      }
    },
  };
}
