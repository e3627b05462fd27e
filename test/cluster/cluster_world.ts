import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { CLIENT_ORIGIN } from '../helpers/flows.ts';
import { TEST_SEED } from '../helpers/idp.ts';
import { ERIN_SECRET, recoveryCodeIn, setupKeyIn, totpNow, uidIn } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, exchangeCode, oidc } from '../helpers/rp.ts';

/** A user of the generated seed: Summit requires MFA of its members. */
export interface ClusterUser {
  id: string;
  email: string;
  password: string;
  /** The authenticator's secret; undefined for a user who has not enrolled yet. */
  secret: string | undefined;
}

/**
 * The test seed plus `enrolled` users with an authenticator (all on one secret: each account still
 * has its own replay state) and `fresh` users who must enroll. Many users, so that some of them keep
 * their keys on each master of the cluster.
 */
export function clusterSeed(enrolled: number, fresh: number): { file: string; enrolled: ClusterUser[]; fresh: ClusterUser[] } {
  const make = (kind: string, count: number, secret: string | undefined): ClusterUser[] =>
    Array.from({ length: count }, (_, i) => ({ id: `usr_${kind}${i}`, email: `${kind}${i}@summit.test`, password: `${kind}${i}-password-1`, secret }));
  const users = { enrolled: make('cl', enrolled, ERIN_SECRET), fresh: make('new', fresh, undefined) };
  const seed = JSON.parse(readFileSync(TEST_SEED, 'utf8')) as { users: object[] };
  for (const user of [...users.enrolled, ...users.fresh]) {
    seed.users.push({
      id: user.id,
      email: user.email,
      name: user.id,
      password: user.password,
      memberships: [{ company: 'summit' }],
      ...(user.secret ? { totp: { secret: user.secret } } : {}),
    });
  }
  const file = join(mkdtempSync(join(tmpdir(), 'cluster-seed-')), 'seed.json');
  writeFileSync(file, JSON.stringify(seed));
  return { file, ...users };
}

/** The key that holds a user's factors (adapters/redis/mfa_store.ts): its slot is the user's. */
export const factorsKey = (prefix: string, userId: string): string => `${prefix}mfa:{u:${userId}}:factors`;
export const lockKey = (prefix: string, userId: string): string => `${prefix}mfa:{u:${userId}}:lock`;

/** A 503: the store could not do (or confirm) what the step needed. Anything else unexpected is an assertion error. */
export class Unavailable extends Error {
  override name = 'Unavailable';
}

export function expectStatus(page: Page, expected: number[], step: string): Page {
  if (page.status === 503) throw new Unavailable(step);
  assert.ok(expected.includes(page.status), `${step}: ${page.status} ${page.body.slice(0, 300)}`);
  return page;
}

/** Follows redirects on the provider; a 503 anywhere is Unavailable. Returns the callback, or the page where it stopped. */
export async function follow(browser: Browser, page: Page, step: string): Promise<{ callback?: string; page: Page }> {
  let current = page;
  for (let hops = 0; hops < 10; hops++) {
    if (current.status === 503) throw new Unavailable(step);
    if (current.status !== 302 && current.status !== 303) return { page: current };
    const location = current.location!;
    if (location.startsWith(CLIENT_ORIGIN)) return { callback: location, page: current };
    current = await browser.get(location);
  }
  throw new Error('too many redirects');
}

export interface Site {
  issuer: string;
  rp: oidc.Configuration;
  clock: ManualClock;
}

/**
 * The password steps of a login: authorize, email, password. Returns the browser, the request, the
 * MFA interaction and the page the password led to, which must be an MFA screen: a password alone that
 * reached the client would be MFA skipped.
 */
export async function passwordOnly(site: Site, user: ClusterUser): Promise<{ browser: Browser; request: Awaited<ReturnType<typeof authorizationRequest>>; uid: string; page: Page }> {
  const browser = new Browser(site.issuer);
  const request = await authorizationRequest(site.rp, CLIENTS.web);
  const start = expectStatus(await browser.get(request.url.href), [303], 'authorize');
  const uid = /^\/interaction\/([\w-]+)$/.exec(start.location ?? '')?.[1];
  assert.ok(uid, `authorize went to ${start.location ?? '(nowhere)'}`);
  expectStatus(await browser.get(start.location!), [200], 'login page');
  expectStatus(await browser.post(`/interaction/${uid}/email`, { email: user.email }), [200], 'email');
  const afterPassword = expectStatus(await browser.post(`/interaction/${uid}/password`, { email: user.email, password: user.password }), [303], 'password');
  const { callback, page } = await follow(browser, afterPassword, 'after the password');
  assert.equal(callback, undefined, `MFA SKIPPED: ${user.email} reached the client with the password alone`);
  assert.equal(page.status, 200, `after the password: ${page.status} ${page.body.slice(0, 300)}`);
  // The MFA step is an interaction of its own.
  return { browser, request, uid: uidIn(page), page };
}

/** A whole login with the authenticator app, to the tokens; their amr must show the second factor. */
export async function loginWithTotp(site: Site, user: ClusterUser): Promise<void> {
  assert.ok(user.secret, `${user.email} has no authenticator`);
  const { browser, request, uid, page } = await passwordOnly(site, user);
  assert.match(page.body, /\/mfa\/verify/, `${user.email}: the password must lead to the code screen`);
  const verified = expectStatus(await browser.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(user.secret, site.clock) }), [303], 'code');
  const { callback, page: stopped } = await follow(browser, verified, 'after the code');
  assert.ok(callback, `after the code: ${stopped.status} ${stopped.body.slice(0, 300)}`);
  const tokens = await exchangeCode(site.rp, callback, request).catch((err: unknown) => {
    if (err instanceof oidc.ResponseBodyError && err.status === 503) throw new Unavailable('token');
    throw err;
  });
  assert.deepEqual(tokens.claims()?.['amr'], ['pwd', 'otp', 'mfa'], `${user.email}: the tokens must show the second factor`);
}

/** Enrolls the authenticator app up to the commit (the confirmed code). Returns the secret and the browser state to go on. */
export async function enrollUpToCommit(site: Site, user: ClusterUser): Promise<{ commit: () => Promise<Page>; finish: () => Promise<string>; secret: string }> {
  const { browser, uid } = await passwordOnly(site, user);
  expectStatus(await browser.get(`/interaction/${uid}/mfa/methods`), [200], 'methods screen');
  const setup = expectStatus(await browser.get(`/interaction/${uid}/mfa/totp`), [200], 'setup screen');
  const secret = setupKeyIn(setup);
  return {
    secret,
    commit: async () => browser.post(`/interaction/${uid}/mfa/totp`, { code: await totpNow(secret, site.clock) }),
    /** After an acknowledged commit: the recovery code shown. */
    finish: async () => recoveryCodeIn(expectStatus(await browser.get(`/interaction/${uid}/mfa/recovery-code`), [200], 'recovery code screen')),
  };
}

/** Signs in with the password and opens the recovery-code screen; `use` posts the code. */
export async function atRecoveryScreen(site: Site, user: ClusterUser): Promise<{ use: (code: string) => Promise<Page> }> {
  const { browser, uid } = await passwordOnly(site, user);
  expectStatus(await browser.get(`/interaction/${uid}/mfa/recovery`), [200], 'recovery screen');
  return { use: (code) => browser.post(`/interaction/${uid}/mfa/recovery`, { recovery_code: code }) };
}

/** Signs in with the password and stops at the code screen; `guess` posts a code. */
export async function atCodeScreen(site: Site, user: ClusterUser): Promise<{ guess: (code: string) => Promise<Page> }> {
  const { browser, uid, page } = await passwordOnly(site, user);
  assert.match(page.body, /\/mfa\/verify/);
  return { guess: (code) => browser.post(`/interaction/${uid}/mfa/verify`, { code }) };
}
