import assert from 'node:assert/strict';
import type { Browser, Page } from '../helpers/browser.ts';
import { CLIENT_ORIGIN } from '../helpers/flows.ts';

/**
 * The end-session side of the RP-Initiated Logout modules: send the user to end_session_endpoint
 * (GET or POST), answer our "Log out?" confirmation the way a user would, and see where the user
 * agent ends: back at the client's post_logout_redirect_uri, or on a page of the provider.
 */

export type LogoutOutcome = { kind: 'redirect'; url: URL } | { kind: 'page'; page: Page };

export function endSession(browser: Browser, params: Record<string, string>, method: 'GET' | 'POST' = 'GET'): Promise<Page> {
  if (method === 'POST') return browser.post('/session/end', params);
  const query = new URLSearchParams(params).toString();
  return browser.get(query ? `/session/end?${query}` : '/session/end');
}

/** Our confirmation screen: oidc-provider's form (with its xsrf token) and our two buttons. */
export function isLogoutConfirmation(page: Page): boolean {
  return page.status === 200 && /Log out\?/.test(page.body) && /name="xsrf"/.test(page.body);
}

/** Follows redirects on the provider; stops at the client or at a page. */
export async function followLogout(browser: Browser, start: Page): Promise<LogoutOutcome> {
  let page = start;
  for (let hops = 0; hops < 10; hops++) {
    if (page.status !== 302 && page.status !== 303) return { kind: 'page', page };
    const location = page.location;
    assert.ok(location);
    if (location.startsWith(CLIENT_ORIGIN)) return { kind: 'redirect', url: new URL(location) };
    page = await browser.get(location);
  }
  throw new Error('too many redirects');
}

/** "Yes, log out" on the confirmation screen, then wherever that leads. */
export async function confirmLogout(browser: Browser, confirmation: Page): Promise<LogoutOutcome> {
  assert.ok(isLogoutConfirmation(confirmation), `expected the logout confirmation, got ${confirmation.status}: ${confirmation.body.slice(0, 300)}`);
  const action = /<form[^>]*action="([^"]+)"/.exec(confirmation.body)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirmation.body)?.[1];
  assert.ok(action && xsrf, 'the confirmation form');
  return followLogout(browser, await browser.post(new URL(action, browser.target).pathname, { xsrf, logout: 'yes' }));
}

/**
 * What the modules that must not redirect accept: an error page, or a confirmation after which the
 * user still stays at the provider. Returns the page the user ends on.
 */
export async function assertStaysAtProvider(browser: Browser, first: Page): Promise<Page> {
  const outcome = isLogoutConfirmation(first) ? await confirmLogout(browser, first) : await followLogout(browser, first);
  assert.ok(outcome.kind === 'page', `must not go back to the client: ${outcome.kind === 'redirect' ? outcome.url.href : ''}`);
  return outcome.page;
}

/** The page a user sees once logged out without a post_logout_redirect_uri. */
export function assertLoggedOutPage(page: Page): void {
  assert.equal(page.status, 200, page.body.slice(0, 300));
  assert.match(page.body, /You are logged out/);
}
