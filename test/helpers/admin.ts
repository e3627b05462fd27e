import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ManualClock } from '../../lib/clock.ts';
import type { Browser, Page } from './browser.ts';
import { ERIN_SECRET, HANK_SECRET, totpNow, uidIn } from './mfa.ts';

/** Companies ridge (MFA required, Europe/Berlin), delta (not required), corp (SSO, MFA at the IdP), other. */
export const ADMIN_SEED = join(import.meta.dirname, '..', 'fixtures', 'admin_seed.json');

export interface Person {
  id: string;
  email: string;
  password: string;
  secret?: string;
}

/** Admin (on both tools) of ridge and delta, with an authenticator app. */
export const ADA: Person = { id: 'usr_ada', email: 'ada@ridge.test', password: 'ada-password-1', secret: ERIN_SECRET };
/** Read-only Company Admin of ridge. */
export const RAY: Person = { id: 'usr_ray', email: 'ray@ridge.test', password: 'ray-password-1', secret: HANK_SECRET };
/** A ridge member with an authenticator app: the one admins reset. */
export const TOM: Person = { id: 'usr_tom', email: 'Tom.Smith@ridge.test', password: 'tom-password-1', secret: 'KRUGKIDROVUWG2ZAMJZG653OEBTG66BA' };
/** A member of delta, which does not require MFA: nothing enrolled. */
export const DEE: Person = { id: 'usr_dee', email: 'dee@delta.test', password: 'dee-password-1' };
/** A ridge member with nothing enrolled. */
export const NELL: Person = { id: 'usr_nell', email: 'nell@ridge.test', password: 'nell-password-1' };

/** Follows redirects within the issuer's origin; stops at a page, or at a redirect elsewhere. */
export async function follow(browser: Browser, page: Page): Promise<Page> {
  let current = page;
  for (let hops = 0; hops < 20; hops++) {
    if (current.status !== 302 && current.status !== 303) return current;
    const location = current.location!;
    if (/^https?:/.test(location) && !location.startsWith(browser.target)) return current;
    current = await browser.get(location);
  }
  throw new Error('too many redirects');
}

/**
 * What the person does at the provider when the console (or a relying app) sends them there: email,
 * password, then, for whoever has an authenticator app, the code (asserted to be asked; a fresh time
 * step each time: the clock moves 30 s).
 */
export async function signInAtProvider(browser: Browser, loginPage: Page, who: Person, clock: ManualClock): Promise<Page> {
  assert.equal(loginPage.status, 200, loginPage.body.slice(0, 300));
  const uid = uidIn(loginPage);
  const passwordPage = await browser.post(`/interaction/${uid}/email`, { email: who.email });
  assert.equal(passwordPage.status, 200, passwordPage.body.slice(0, 300));
  let page = await follow(browser, await browser.post(`/interaction/${uid}/password`, { email: who.email, password: who.password }));
  // Whoever has an authenticator app is challenged: the console always asks for the multi-factor acr.
  if (who.secret !== undefined) {
    assert.match(page.body, /Enter Your 6-digit Verification Code/, `${who.email} was not asked for a code`);
    clock.advance(30_000);
    // The MFA step is an interaction of its own (a new uid).
    page = await follow(browser, await browser.post(`/interaction/${uidIn(page)}/mfa/verify`, { code: await totpNow(who.secret, clock) }));
  }
  return page;
}

/** Opens a console page as `who`, signing in at the provider on the way. */
export async function consoleSignIn(browser: Browser, who: Person, clock: ManualClock, path = '/admin'): Promise<Page> {
  const start = await browser.get(path);
  assert.equal(start.status, 303, start.body.slice(0, 300));
  return signInAtProvider(browser, await follow(browser, start), who, clock);
}

/** The CSRF token of the page's forms. */
export function csrfIn(page: Page): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  assert.ok(token, `no CSRF token on the page: ${page.body.slice(0, 300)}`);
  return token;
}

/** The text of the page's alert or notice, if any. */
export function noticeIn(page: Page): string | undefined {
  return /<p class="(?:alert|notice)"[^>]*>([^<]*)<\/p>/.exec(page.body)?.[1]?.replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}
