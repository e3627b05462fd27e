import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generate } from 'otplib';
import type { Clock } from '../../lib/clock.ts';
import type { Browser, Page } from './browser.ts';
import { openAuthorization, submitCredentials } from './flows.ts';

export const ERIN_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
export const HANK_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/** The current code of an authenticator app holding `secret`, at the app's clock. */
export function totpNow(secret: string, clock: Clock): Promise<string> {
  return generate({ secret, epoch: Math.floor(clock() / 1000) });
}

/** The same from oathtool, an independent implementation. */
export function oathtoolCode(secret: string, clock: Clock): string {
  const now = new Date(clock()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const result = spawnSync('oathtool', ['--totp', '-b', `--now=${now}`, secret], { encoding: 'utf8' });
  assert.equal(result.status, 0, `oathtool failed: ${result.stderr}`);
  return result.stdout.trim();
}

export function oathtoolInstalled(): boolean {
  return spawnSync('oathtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The interaction uid in a page's forms or links. */
export function uidIn(page: Page): string {
  const uid = /\/interaction\/([\w-]+)\//.exec(page.body)?.[1];
  assert.ok(uid, `no interaction in page: ${page.body.slice(0, 300)}`);
  return uid;
}

/** Follows provider redirects (not to the client) and returns the page reached. */
export async function landOnPage(browser: Browser, page: Page): Promise<Page> {
  let current = page;
  for (let i = 0; i < 10 && (current.status === 302 || current.status === 303) && !current.location?.startsWith('http://127.0.0.1:1/'); i++) {
    current = await browser.get(current.location!);
  }
  return current;
}

/** Password step done; returns the next interaction page (MFA screen, consent) and its uid. */
export async function passwordStep(browser: Browser, url: URL, email: string, password: string): Promise<{ uid: string; page: Page }> {
  const { uid } = await openAuthorization(browser, url);
  const page = await landOnPage(browser, await submitCredentials(browser, uid, email, password));
  if (page.status === 303) return { uid: '', page };
  return { uid: uidIn(page), page };
}

export function setupKeyIn(page: Page): string {
  const grouped = /<code class="key" id="setup-key">([A-Z2-7 ]+)<\/code>/.exec(page.body)?.[1];
  assert.ok(grouped, 'no setup key on the page');
  return grouped.replace(/ /g, '');
}

export function recoveryCodeIn(page: Page): string {
  const code = /<code id="recovery-code">([0-9A-Z-]+)<\/code>/.exec(page.body)?.[1];
  assert.ok(code, 'no recovery code on the page');
  return code;
}

/**
 * Select an Authentication Method → Secure your Account → code → Save Your Recovery Code → Continue.
 * Returns the new secret, the recovery code, and the response that resumes the flow.
 */
export async function enrollTotp(browser: Browser, uid: string, clock: Clock, code: (secret: string) => Promise<string> | string = (s) => totpNow(s, clock)): Promise<{ secret: string; recoveryCode: string; resume: Page }> {
  const methods = await browser.get(`/interaction/${uid}/mfa/methods`);
  assert.equal(methods.status, 200, methods.body.slice(0, 300));
  assert.match(methods.body, /Select an Authentication Method/);
  const setup = await browser.get(`/interaction/${uid}/mfa/totp`);
  assert.equal(setup.status, 200);
  const secret = setupKeyIn(setup);
  const confirmed = await browser.post(`/interaction/${uid}/mfa/totp`, { code: await code(secret) });
  assert.equal(confirmed.status, 303, confirmed.body.slice(0, 500));
  const save = await browser.get(confirmed.location!);
  assert.equal(save.status, 200);
  const recoveryCode = recoveryCodeIn(save);
  const resume = await browser.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' });
  assert.equal(resume.status, 303);
  return { secret, recoveryCode, resume };
}
