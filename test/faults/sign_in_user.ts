import assert from 'node:assert/strict';
import type { Clock, ManualClock } from '../../lib/clock.ts';
import type { Browser, Page } from '../helpers/browser.ts';
import { CLIENT_ORIGIN } from '../helpers/flows.ts';
import { recoveryCodeIn, setupKeyIn, totpNow } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, type AuthRequest, type oidc } from '../helpers/rp.ts';

/** What a person signing in knows: their password, their authenticator app (unless lost), their saved recovery code. */
export interface Person {
  email: string;
  password: string;
  /** The authenticator app's secret; undefined when the device is lost. */
  secret: string | undefined;
  /** The recovery code they saved, until they have used it. */
  recoveryCode: string | undefined;
}

/** The application: the provider it signs in with, its client configuration, and the clock the person's authenticator reads. */
export interface App {
  issuer: string;
  rp: oidc.Configuration;
  clock: ManualClock;
}

/** Why a sign-in could not be finished: the person is stuck (locked out, or in a loop). */
export class StuckError extends Error {
  override name = 'StuckError';
}

/**
 * A person who finishes their sign-in whatever page a fault left them on, the way one would: they
 * resubmit or follow what the page offers, enter a code from their app when asked (a fresh one:
 * the clock moves to the next time step first), use their recovery code when the app is lost, set
 * up a new app when asked to, and go back to the application to start again when the page says the
 * sign-in is over. They never choose "Skip for now".
 *
 * `mfaSubmitted` records whether they entered a second factor at any point (a code from the app at
 * a challenge or a setup, or a recovery code, whether or not a fault cut off the answer): a login
 * that ends with tokens although it is false has skipped MFA.
 */
export class SignInUser {
  readonly person: Person;
  readonly #app: App;
  readonly #browser: Browser;
  /** The authorization request the browser is in, for the code exchange. */
  request: AuthRequest | undefined;
  /** A second factor was submitted at least once (and perhaps accepted). */
  mfaSubmitted = false;
  /** Recovery codes seen on "Save Your Recovery Code", newest last. */
  readonly recoveryCodesShown: string[] = [];
  #recoveryRefused = false;
  readonly trail: string[] = [];

  constructor(app: App, browser: Browser, person: Person) {
    this.#app = app;
    this.#browser = browser;
    this.person = person;
  }

  get browser(): Browser {
    return this.#browser;
  }

  /** Opens a new authorization request from the application, as its "Log in" button does. */
  async startAtTheApp(): Promise<Page> {
    this.request = await authorizationRequest(this.#app.rp, CLIENTS.web);
    this.trail.push('start at the app');
    return this.#browser.get(this.request.url.href);
  }

  /** Goes on from `page` until the browser is sent back to the application; returns the callback URL. */
  async finishFrom(page: Page): Promise<string> {
    let current = page;
    let restarts = 0;
    for (let hops = 0; hops < 40; hops++) {
      if (current.status === 302 || current.status === 303) {
        const location = current.location ?? '';
        if (location.startsWith(CLIENT_ORIGIN)) return location;
        current = await this.#browser.get(location);
        continue;
      }
      const next = await this.#act(current);
      if (next === 'restart') {
        if (++restarts > 3) throw new StuckError(`sent back to the start ${restarts} times: ${this.trail.join(' → ')}`);
        current = await this.startAtTheApp();
        continue;
      }
      current = next;
    }
    throw new StuckError(`no end in sight: ${this.trail.join(' → ')}`);
  }

  /** What a person does on this page: the next response, or 'restart' to go back to the app. */
  async #act(page: Page): Promise<Page | 'restart'> {
    const { body, status } = page;
    const action = (path: string): string | undefined => new RegExp(`action="(/interaction/[\\w-]+/${path})"`).exec(body)?.[1];
    const clock: Clock = this.#app.clock;
    assert.notEqual(status, 503, `Redis is back, yet: ${this.trail.join(' → ')}`);
    assert.ok(status < 500, `a ${status} page: ${body.slice(0, 300)}`);

    const verify = action('mfa/verify');
    if (verify && this.person.secret !== undefined) {
      this.#app.clock.advance(30_000);
      this.mfaSubmitted = true;
      this.trail.push(`${status} code page: enter a code`);
      return this.#browser.post(verify, { code: await totpNow(this.person.secret, clock) });
    }
    const setup = action('mfa/totp');
    if (setup) {
      // The setup page shows the same secret again after a failed commit, or a new one: use what it shows.
      this.person.secret = setupKeyIn(page);
      this.#app.clock.advance(30_000);
      this.mfaSubmitted = true;
      this.trail.push(`${status} setup page: scan and confirm`);
      return this.#browser.post(setup, { code: await totpNow(this.person.secret, clock) });
    }
    const save = action('mfa/recovery-code');
    if (save) {
      const code = recoveryCodeIn(page);
      this.recoveryCodesShown.push(code);
      this.person.recoveryCode = code;
      this.#recoveryRefused = false;
      this.trail.push(`${status} save your recovery code`);
      return this.#browser.post(save, { saved: 'yes' });
    }
    const asksSecondFactor = verify !== undefined || action('mfa/choose') !== undefined || action('mfa/recovery') !== undefined;
    if (asksSecondFactor && this.person.secret === undefined) {
      if (this.person.recoveryCode === undefined || this.#recoveryRefused) {
        throw new StuckError(`locked out: asked for a second factor, with no app and no usable recovery code: ${this.trail.join(' → ')}`);
      }
      if (status === 401 && action('mfa/recovery') !== undefined) {
        // Refused: perhaps the request a fault cut off used it. Go back to the app and see.
        this.#recoveryRefused = true;
        this.trail.push(`${status} recovery code refused: back to the app`);
        return 'restart';
      }
      this.mfaSubmitted = true;
      this.trail.push(`${status} use the recovery code`);
      return this.#browser.post(action('mfa/recovery') ?? `${interactionOf(body)}/mfa/recovery`, { recovery_code: this.person.recoveryCode });
    }
    const choose = action('mfa/choose');
    if (choose) {
      this.trail.push(`${status} choose the app`);
      return this.#browser.post(choose, { method: 'totp' });
    }
    const resume = action('mfa/resume');
    if (resume) {
      this.trail.push(`${status} already set up: continue`);
      return this.#browser.post(resume, {});
    }
    const methods = /href="(\/interaction\/[\w-]+\/mfa\/methods)"/.exec(body)?.[1];
    if (methods) {
      this.trail.push(`${status} two-factor required: set up now`);
      return this.#browser.get(methods);
    }
    if (/Select an Authentication Method/.test(body)) {
      this.trail.push(`${status} methods: the app`);
      return this.#browser.get(`${interactionOf(body)}/mfa/totp`);
    }
    const password = action('password');
    if (password) {
      this.trail.push(`${status} password`);
      return this.#browser.post(password, { email: this.person.email, password: this.person.password });
    }
    const email = action('email');
    if (email) {
      this.trail.push(`${status} email`);
      return this.#browser.post(email, { email: this.person.email });
    }
    if (status >= 400 && /Start again|sign in again|expired/i.test(body)) {
      this.trail.push(`${status} "${titleOf(body)}": back to the app`);
      return 'restart';
    }
    throw new StuckError(`an unexpected page (${status}) "${titleOf(body)}": ${this.trail.join(' → ')}`);
  }
}

function interactionOf(body: string): string {
  const uid = /\/interaction\/([\w-]+)\//.exec(body)?.[1];
  if (!uid) throw new StuckError(`no interaction on the page: ${body.slice(0, 200)}`);
  return `/interaction/${uid}`;
}

function titleOf(body: string): string {
  return /<h1>([^<]*)<\/h1>/.exec(body)?.[1] ?? /<title>([^<]*)<\/title>/.exec(body)?.[1] ?? '';
}

/** The token endpoint, as the web client calls it: the raw answer, so that a 503 can be asserted. */
export async function redeem(app: App, callback: string, request: AuthRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const code = new URL(callback).searchParams.get('code') ?? '';
  const res = await fetch(`${app.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENTS.web.id}:${CLIENTS.web.secret ?? ''}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CLIENTS.web.redirectUri, code_verifier: request.verifier }),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { raw: text.slice(0, 300) } };
  }
}

/** The claims that say how the user authenticated, from the ID token the server issued. */
export function idTokenClaims(body: Record<string, unknown>): { sub: string; acr: string; amr: string[] } {
  const token = body['id_token'];
  assert.equal(typeof token, 'string', `no ID token in ${JSON.stringify(body).slice(0, 200)}`);
  const payload = JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string; acr: string; amr?: string[] };
  return { sub: payload.sub, acr: payload.acr, amr: payload.amr ?? [] };
}
