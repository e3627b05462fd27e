// `npm run mfa-reset -- --email user@example.com --reason "ticket 1234: lost phone, identity checked by video call"`
// Procore support's reset, for the users company admins may not reset (Procore Pay users above all):
// the same reset as the console's (factors, sessions, grants, email), audited as done by support.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createIdp } from '../app.ts';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../lib/logger.ts';

const USAGE = 'usage: npm run mfa-reset -- --email user@example.com --reason "why, and how the identity was verified"   (REDIS_URL must be set)\n';

let args;
try {
  args = parseArgs({ options: { email: { type: 'string' }, reason: { type: 'string' } }, strict: true }).values;
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  process.exit(2);
}
const email = args.email?.trim() ?? '';
const reason = args.reason?.trim() ?? '';
if (email === '' || reason.length < 10) {
  process.stderr.write(`Both --email and --reason (at least 10 characters) are required.\n${USAGE}`);
  process.exit(2);
}

try {
  const config = loadConfig(process.env);
  if (!config.redis) throw new Error('REDIS_URL (or REDIS_CLUSTER_NODES or REDIS_SENTINELS) is not set: a reset must reach the store the servers use.');
  // No seed: the command acts on the data the servers hold.
  const idp = await createIdp({ ...config, seedFile: undefined }, { logger: createLogger(config.logLevel) });
  try {
    const user = await idp.admin.supportReset(email, reason, { ip: 'command line', userAgent: `npm run mfa-reset (${userInfo().username})` });
    if (!user) throw new Error(`No account has the email address ${email}.`);
    // Send the user's email now if SMTP answers; otherwise the servers' outbox retries it.
    await idp.mail.drain();
    process.stdout.write(`MFA reset for ${user.email} (${user.id}): factors removed, sessions and grants ended, user emailed.\n`);
  } finally {
    await idp.close();
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
