import assert from 'node:assert/strict';
import type { ManualClock } from '../../lib/clock.ts';
import type { Browser, Page } from './browser.ts';
import { follow, signInAtProvider, type Person } from './admin.ts';
import { totpNow } from './mfa.ts';

export const SECURITY = '/account/security';

/** Opens Password & Security as `who`, signing in at the provider on the way (password, then the code if they have an app). */
export async function accountSignIn(browser: Browser, who: Person, clock: ManualClock, path = SECURITY): Promise<Page> {
  const start = await browser.get(path);
  assert.equal(start.status, 303, start.body.slice(0, 300));
  const page = await signInAtProvider(browser, await follow(browser, start), who, clock);
  assert.equal(page.status, 200, page.body.slice(0, 300));
  return page;
}

/** The page's CSRF token. */
export function csrfOf(page: Page): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  assert.ok(token, `no CSRF token on the page: ${page.body.slice(0, 300)}`);
  return token;
}

/**
 * The step-up before a change, from the page it sends the user to: the password re-entered, then,
 * when the last MFA is older than 15 minutes, the authenticator app's code. Returns the page it lands on.
 */
export async function stepUp(browser: Browser, from: Page, who: Person, clock: ManualClock): Promise<Page> {
  let page = await follow(browser, from);
  assert.match(page.body, /Confirm Your Password/, page.body.slice(0, 300));
  assert.match(page.body, /autocomplete="current-password"/);
  const next = /name="next" value="([^"]+)"/.exec(page.body)?.[1] ?? SECURITY;
  page = await follow(browser, await browser.post(`${SECURITY}/verify/password`, { _csrf: csrfOf(page), next, password: who.password }));
  // The MFA of the sign-in counts for 15 minutes: a code is asked only when it is older.
  if (who.secret !== undefined && /How Do You Want to Verify Your Identity|Enter Your 6-digit Verification Code/.test(page.body)) {
    if (/How Do You Want to Verify Your Identity/.test(page.body)) page = await follow(browser, await browser.post(`${SECURITY}/verify/mfa/choose`, { _csrf: csrfOf(page), method: 'totp' }));
    clock.advance(30_000);
    page = await follow(browser, await browser.post(`${SECURITY}/verify/mfa/verify`, { _csrf: csrfOf(page), code: await totpNow(who.secret, clock) }));
  }
  return page;
}
