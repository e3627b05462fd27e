import { spawnSync } from 'node:child_process';

/**
 * For suites that need a Debian tool (oathtool, zbarimg): missing under CI is a failure, elsewhere
 * a visible skip. `.ci/run` installs them.
 */
export function requireTool(context: Mocha.Context, command: string, debianPackage: string): void {
  if (spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0) return;
  const message = `${command} is not installed (Debian package ${debianPackage}).`;
  if (process.env['CI']) throw new Error(message);
  console.warn(`\n  SKIPPED: ${message}\n`);
  context.skip();
}
