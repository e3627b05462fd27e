import assert from 'node:assert/strict';
import type { Clock } from '../../lib/clock.ts';
import type { Browser } from './browser.ts';
import { followRedirects } from './flows.ts';
import { ERIN_SECRET, passwordStep, totpNow } from './mfa.ts';

/** The fixture user with an authenticator app enrolled: every interop login is password and TOTP. */
export const ERIN = { sub: 'usr_erin', email: 'erin@summit.test', password: 'erin-password-1', name: 'Erin Enrolled' } as const;

/**
 * What the user does in the browser between the relying party's redirect and its callback: email,
 * password, then the 6-digit code from the authenticator app. Returns the callback URL with the code.
 */
export async function loginWithPasswordAndTotp(browser: Browser, authorizationUrl: URL, clock: Clock): Promise<string> {
  const { uid, page } = await passwordStep(browser, authorizationUrl, ERIN.email, ERIN.password);
  assert.match(page.body, /Enter Your 6-digit Verification Code/, 'an enrolled user is challenged after the password');
  const verified = await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) });
  const { callback, page: stopped } = await followRedirects(browser, verified);
  assert.ok(callback, `expected a redirect to the client, stopped at ${stopped.status}: ${stopped.body.slice(0, 300)}`);
  return callback;
}

/** RP-initiated logout as the user sees it: the confirmation page, then "Yes, log out". Returns where the browser is sent. */
export async function confirmLogout(browser: Browser, endSessionUrl: URL): Promise<string> {
  const confirm = await browser.get(endSessionUrl.href);
  assert.equal(confirm.status, 200, confirm.body.slice(0, 300));
  assert.match(confirm.body, /Log out\?/);
  const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
  assert.ok(action && xsrf, 'the confirmation page has the logout form');
  const done = await browser.post(new URL(action).pathname, { xsrf, logout: 'yes' });
  assert.equal(done.status, 303, done.body.slice(0, 300));
  assert.ok(done.location);
  return done.location;
}

/** After logout the provider has no session: opening an authorization URL asks for a login again. */
export async function assertSignedOut(browser: Browser, authorizationUrl: URL): Promise<void> {
  const res = await browser.get(authorizationUrl.href);
  assert.equal(res.status, 303);
  assert.match(res.location ?? '', /^\/interaction\/[\w-]+$/, 'a new login, not a code from a remembered session');
}
