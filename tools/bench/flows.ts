// The load driver: complete logins over HTTP, as a browser and a relying party would do them.
import { generate } from 'otplib';
import * as oidc from 'openid-client';
import { Browser, type Page } from '../../test/helpers/browser.ts';
import { CLIENT, type BenchUser } from './world.ts';

export type Timer = (step: string, ms: number) => void;
export type Flow = (rp: oidc.Configuration, user: BenchUser, time: Timer) => Promise<void>;

export function relyingParty(issuer: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), CLIENT.id, undefined, oidc.ClientSecretBasic(CLIENT.secret), { execute: [oidc.allowInsecureRequests] });
}

/** Times one step; a step that does not end where expected fails the run. */
async function step<T>(name: string, time: Timer, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await run();
  time(name, performance.now() - t0);
  return result;
}

async function follow(browser: Browser, page: Page): Promise<Page> {
  let current = page;
  for (let i = 0; i < 10 && current.location !== undefined && !current.location.startsWith('http://127.0.0.1:1/'); i++) current = await browser.get(current.location);
  return current;
}

async function authorize(rp: oidc.Configuration, browser: Browser) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: CLIENT.redirectUri, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const page = await follow(browser, await browser.get(url.href));
  const uid = /\/interaction\/([\w-]+)\//.exec(page.body)?.[1];
  if (!uid) throw new Error(`authorize: no interaction (${page.status})`);
  return { verifier, state, uid };
}

async function exchange(rp: oidc.Configuration, callback: Page, verifier: string, state: string): Promise<void> {
  if (!callback.location?.startsWith(CLIENT.redirectUri)) throw new Error(`no code: ${callback.status} ${callback.body.slice(0, 200)}`);
  await oidc.authorizationCodeGrant(rp, new URL(callback.location), { pkceCodeVerifier: verifier, expectedState: state });
}

/** The real app: authorize → email → password → TOTP → code → token. A user's code works once per 30 s step. */
export const mfaFlow: Flow = async (rp, user, time) => {
  const browser = new Browser(rp.serverMetadata().issuer);
  const { verifier, state, uid } = await step('authorize', time, () => authorize(rp, browser));
  await step('email', time, () => browser.post(`/interaction/${uid}/email`, { email: user.email }));
  const mfaPage = await step('password', time, async () => follow(browser, await browser.post(`/interaction/${uid}/password`, { email: user.email, password: user.password })));
  const mfaUid = /\/interaction\/([\w-]+)\/mfa\/verify/.exec(mfaPage.body)?.[1];
  if (!mfaUid) throw new Error(`password: no MFA step (${mfaPage.status})`);
  const code = await generate({ secret: user.secret });
  const callback = await step('totp', time, async () => follow(browser, await browser.post(`/interaction/${mfaUid}/mfa/verify`, { code })));
  await step('token', time, () => exchange(rp, callback, verifier, state));
};

/** The bare oidc-provider: authorize → password → code → token. */
export const baselineFlow: Flow = async (rp, user, time) => {
  const browser = new Browser(rp.serverMetadata().issuer);
  const { verifier, state, uid } = await step('authorize', time, () => authorize(rp, browser));
  const callback = await step('password', time, async () => follow(browser, await browser.post(`/interaction/${uid}/login`, { email: user.email, password: user.password })));
  await step('token', time, () => exchange(rp, callback, verifier, state));
};

/** Runs `next()`'s users through `flow`, `concurrency` at a time, until it returns undefined. */
export async function drive(concurrency: number, next: () => BenchUser | undefined, flow: Flow, rp: oidc.Configuration, time: Timer): Promise<void> {
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let user = next(); user !== undefined; user = next()) {
      const t0 = performance.now();
      await flow(rp, user, time);
      time('total', performance.now() - t0);
    }
  }));
}
