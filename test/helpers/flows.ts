import assert from 'node:assert/strict';
import type { Browser, Page } from './browser.ts';

export const CLIENT_ORIGIN = 'http://127.0.0.1:1/';

/** Opens an authorization URL and returns the interaction uid it lands on. */
export async function openAuthorization(browser: Browser, url: URL): Promise<{ uid: string; page: Page }> {
  const start = await browser.get(url.href);
  assert.equal(start.status, 303, `authorize should redirect to an interaction, got ${start.status}: ${start.body.slice(0, 200)}`);
  const match = /^\/interaction\/([\w-]+)$/.exec(start.location ?? '');
  assert.ok(match?.[1], `unexpected redirect ${start.location}`);
  return { uid: match[1], page: await browser.get(start.location!) };
}

/** Email, then password; returns the response to the password POST. */
export async function submitCredentials(browser: Browser, uid: string, email: string, password: string): Promise<Page> {
  const passwordPage = await browser.post(`/interaction/${uid}/email`, { email });
  assert.equal(passwordPage.status, 200, passwordPage.body.slice(0, 300));
  return browser.post(`/interaction/${uid}/password`, { email, password });
}

/** Follows redirects on the provider until one leaves for the client; returns that callback URL, or the page where it stopped. */
export async function followRedirects(browser: Browser, page: Page): Promise<{ callback?: string; page: Page }> {
  let current = page;
  for (let hops = 0; hops < 10; hops++) {
    if (current.status !== 302 && current.status !== 303) return { page: current };
    const location = current.location!;
    if (location.startsWith(CLIENT_ORIGIN)) return { callback: location, page: current };
    current = await browser.get(location);
  }
  throw new Error('too many redirects');
}

/** The whole first-factor login for a first-party client: returns the callback URL with the code. */
export async function loginToCallback(browser: Browser, url: URL, email: string, password: string): Promise<string> {
  const { uid } = await openAuthorization(browser, url);
  const afterPassword = await submitCredentials(browser, uid, email, password);
  const { callback, page } = await followRedirects(browser, afterPassword);
  assert.ok(callback, `expected a redirect to the client, got ${page.status}: ${page.body.slice(0, 300)}`);
  return callback;
}
