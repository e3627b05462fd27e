import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import Koa, { type Context } from 'koa';
import { ACCOUNT_SITE } from '../../interactions/account/context.ts';
import { FirstPartySessions } from '../../interactions/first_party/session.ts';
import { manualClock, type ManualClock } from '../../lib/clock.ts';
import { checkNewPassword } from '../../self_service/password_rules.ts';
import { accountSignIn, csrfOf, SECURITY, stepUp } from '../helpers/account.ts';
import { ADMIN_SEED, follow, TOM } from '../helpers/admin.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { totpNow } from '../helpers/mfa.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';

/**
 * Attacks on My Profile Settings › Password & Security (issue 12) against running instances, on
 * memory and on Redis: what a hostile user, another browser or a forged request can make it do.
 * Each test is an attack that must be held.
 */

const MINUTE = 60_000;
const VERIFY = `${SECURITY}/verify`;

/** A raw POST with this browser's cookies: bodies a browser form would never send. */
async function rawPost(b: Browser, path: string, body: string, contentType = 'application/x-www-form-urlencoded'): Promise<number> {
  const res = await fetch(new URL(path, b.target), { method: 'POST', redirect: 'manual', headers: { cookie: b.cookieHeader(path), 'content-type': contentType, accept: 'text/html' }, body });
  await res.arrayBuffer();
  return res.status;
}

onEachBackend('Password & Security attacks', (backend: () => Backend) => {
  let running: RunningIdp;
  let clock: ManualClock;
  let smtp: TestSmtpServer;

  const start = async (env: Record<string, string> = {}): Promise<void> => {
    running = await startIdp(backend(), { clock, smtpUrl: smtp.url, env: { SEED_FILE: ADMIN_SEED, ...env } });
  };

  beforeEach(async () => {
    smtp = new TestSmtpServer();
    await smtp.start();
    clock = manualClock();
  });
  afterEach(async () => {
    await running.close();
    await smtp.stop();
  });

  const browser = (): Browser => new Browser(running.issuer);

  /** Tom, signed in and past the step-up (password and, the sign-in's MFA being recent, nothing more). */
  async function steppedUp(b = browser()): Promise<{ b: Browser; page: Page }> {
    await accountSignIn(b, TOM, clock);
    const page = await stepUp(b, await b.get(`${VERIFY}?next=${encodeURIComponent(SECURITY)}`), TOM, clock);
    assert.match(page.body, /<h1>Password &amp; Security<\/h1>/);
    return { b, page };
  }

  it('the step-up’s MFA guesses count in the account’s MFA lockout: once locked, even the right code is refused', async () => {
    await start({ MFA_MAX_FAILURES: '3' });
    const b = browser();
    await accountSignIn(b, TOM, clock);
    clock.advance(16 * MINUTE);
    let page = await follow(b, await b.get(`${VERIFY}?next=${encodeURIComponent(SECURITY)}`));
    page = await follow(b, await b.post(`${VERIFY}/password`, { _csrf: csrfOf(page), next: SECURITY, password: TOM.password }));
    if (/How Do You Want to Verify Your Identity/.test(page.body)) page = await follow(b, await b.post(`${VERIFY}/mfa/choose`, { _csrf: csrfOf(page), method: 'totp' }));
    const csrf = csrfOf(page);
    const right = await totpNow(TOM.secret ?? '', clock);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 3; i++) assert.notEqual((await b.post(`${VERIFY}/mfa/verify`, { _csrf: csrf, code: wrong })).status, 303);
    const locked = await b.post(`${VERIFY}/mfa/verify`, { _csrf: csrf, code: right });
    assert.equal(locked.status, 429, locked.body.slice(0, 300));
    const direct = await b.post(`${SECURITY}/methods/remove`, { _csrf: csrf, method: 'totp' });
    assert.match(direct.location ?? '', /^\/account\/security\/verify/, 'still not stepped up');
  });

  it('the password re-entry is limited as sign-in is: past the limit even the right password is refused', async () => {
    await start({ LOGIN_ACCOUNT_MAX_FAILURES: '3' });
    const b = browser();
    await accountSignIn(b, TOM, clock);
    const page = await follow(b, await b.get(VERIFY));
    for (let i = 0; i < 3; i++) assert.equal((await b.post(`${VERIFY}/password`, { _csrf: csrfOf(page), next: SECURITY, password: `guess-${i}` })).status, 401);
    const throttled = await b.post(`${VERIFY}/password`, { _csrf: csrfOf(page), next: SECURITY, password: TOM.password });
    assert.equal(throttled.status, 429);
    const direct = await b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'totp' });
    assert.match(direct.location ?? '', /^\/account\/security\/verify/, 'still not stepped up');
  });

  it('a verification’s `next` never leads off the site (open redirect)', async () => {
    await start();
    const { b, page } = await steppedUp();
    for (const next of ['//evil.test/x', 'https://evil.test', '/account/security/../../interaction', '/account/security//evil.test', '/account/security\\evil.test', '/\\evil.test', '/account/securityx', ' /account/security']) {
      const got = await b.get(`${VERIFY}?next=${encodeURIComponent(next)}`);
      assert.equal(got.status, 303);
      assert.match(got.location ?? '', /^\/account\/security(\/[A-Za-z0-9_\-/]*)?$/, `${next} → ${got.location}`);
      assert.doesNotMatch(got.location ?? '', /\/\/|evil|\.\./);
      const posted = await b.post(`${VERIFY}/password`, { _csrf: csrfOf(page), next, password: TOM.password });
      assert.doesNotMatch(posted.location ?? '', /evil|\/\/|\.\./, `${next} → ${posted.location}`);
    }
  });

  it('one browser’s step-up does not count for another browser of the same user', async () => {
    await start();
    await steppedUp();
    const other = browser();
    const page = await accountSignIn(other, TOM, clock);
    const before = await running.idp.stores.mfaFactors.factorsOf(TOM.id);
    const direct = await other.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'totp' });
    assert.equal(direct.status, 303);
    assert.match(direct.location ?? '', /^\/account\/security\/verify/);
    assert.equal((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).version, before.version);
  });

  it('malformed bodies on every POST get a 4xx or a redirect, never a 5xx', async () => {
    await start();
    const { b, page } = await steppedUp();
    const csrf = encodeURIComponent(csrfOf(page));
    const posts = [
      `${VERIFY}/password`,
      `${VERIFY}/mfa/choose`,
      `${VERIFY}/mfa/verify`,
      `${SECURITY}/methods/remove`,
      `${SECURITY}/methods/preferred`,
      `${SECURITY}/recovery-code`,
      `${SECURITY}/mfa/recovery-code`,
      `${SECURITY}/password`,
      `${SECURITY}/app/mfa/totp`,
      `${SECURITY}/phone/current`,
      `${SECURITY}/phone/current/send`,
      `${SECURITY}/phone/mfa/sms`,
      `${SECURITY}/phone/mfa/sms/verify`,
      `/account/logout`,
    ];
    const bodies: [string, string?][] = [
      [`_csrf=${csrf}`],
      [`_csrf=${csrf}&method=totp&method=sms&code=1&code=2&password=a&password=b&next=a&next=b&token=a&token=b&current_password=a&current_password=b&new_password=x&new_password=y&saved=yes&saved=no&country=US&country=GB&phone=1&phone=2`],
      [`_csrf=${csrf}&method[a]=1&code[b]=2&password[c]=3&next[d]=4&token[e]=5&current_password[f]=6&new_password[g]=7&phone[h]=8&country[i]=9&saved[j]=1`],
      [`_csrf=${csrf}&code=%ZZ&password=%E0%A4%A`],
      [`_csrf=${csrf}&code=${'9'.repeat(5000)}&password=${'p'.repeat(5000)}`],
      [JSON.stringify({ _csrf: csrfOf(page), method: 'totp' }), 'application/json'],
      [`_csrf=${csrf}&${'x'.repeat(20_000)}=1`],
      [`_csrf=${csrf}&_csrf=${csrf}&method=totp`],
      [`_csrf=${csrf}&__proto__[x]=1&constructor[prototype][y]=2&method=totp`],
    ];
    for (const path of posts) {
      for (const [body, type] of bodies) {
        const status = await rawPost(b, path, body, type);
        assert.ok(status < 500, `${path} ${body.slice(0, 80)} → ${status}`);
      }
    }
    assert.equal((await running.idp.stores.mfaFactors.factorsOf(TOM.id)).totp !== undefined, true, 'the app is still there');
  });

  it('a new recovery code is for the session that asked for it, and gone once saved', async () => {
    await start();
    const { b } = await steppedUp();
    const confirm = await b.get(`${SECURITY}/recovery-code`);
    assert.equal(confirm.status, 200, confirm.body.slice(0, 300));
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)?.[1] ?? '';
    const issued = await follow(b, await b.post(`${SECURITY}/recovery-code`, { _csrf: csrfOf(confirm), token }));
    assert.match(issued.body, /Save Your Recovery Code/);
    const other = browser();
    await accountSignIn(other, TOM, clock);
    assert.equal((await other.get(`${SECURITY}/mfa/recovery-code/download`)).status, 404, 'another session cannot download it');
    assert.doesNotMatch((await follow(other, await other.get(`${SECURITY}/mfa/recovery-code`))).body, /Save Your Recovery Code/);
    assert.equal((await b.get(`${SECURITY}/mfa/recovery-code/download`)).status, 200);
    assert.equal((await b.post(`${SECURITY}/mfa/recovery-code`, { _csrf: csrfOf(issued), saved: 'yes' })).status, 303);
    assert.equal((await b.get(`${SECURITY}/mfa/recovery-code/download`)).status, 404, 'gone once acknowledged');
  });

  it('two removals at once cannot leave a user of whom MFA is required without a method', async () => {
    await start();
    const { b, page } = await steppedUp();
    const store = running.idp.stores.mfaFactors;
    await store.savePhone(TOM.id, { e164: '+12015550142', country: 'US', createdAt: clock() });
    const [app, phone] = await Promise.all([
      b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'totp' }),
      b.post(`${SECURITY}/methods/remove`, { _csrf: csrfOf(page), method: 'sms' }),
    ]);
    const factors = await store.factorsOf(TOM.id);
    assert.ok(factors.totp !== undefined || factors.phone !== undefined, `both went: ${app.status} ${phone.status}`);
  });

  it('a request in flight when the user signs out does not bring the session back', async () => {
    await start();
    const sessions = new FirstPartySessions({ site: ACCOUNT_SITE, flow: running.idp.stores.flow, clock, idleSeconds: 1800, maxSeconds: 8 * 3600 });
    const koa = new Koa();
    const contextWith = (cookie: string | undefined): Context => {
      const req = new IncomingMessage(new Socket());
      req.headers = cookie ? { cookie, host: 'idp.test' } : { host: 'idp.test' };
      return koa.createContext(req, new ServerResponse(req));
    };
    const created = await sessions.create(contextWith(undefined), { userId: TOM.id, authTime: 1, authAge: 0, signedInAt: clock() });
    const cookie = `${ACCOUNT_SITE.cookie}=${created.id}`;
    // A slow request loaded the session…
    const inFlight = await sessions.load(contextWith(cookie));
    assert.ok(inFlight);
    // …the user signs out meanwhile…
    await sessions.destroy(contextWith(cookie), created.id);
    // …and the slow request, ending, saves what it loaded (the sliding idle timeout, a notice).
    await sessions.save(contextWith(cookie), inFlight.id, inFlight.record);
    assert.equal(await sessions.load(contextWith(cookie)), undefined, 'the signed-out session came back');
  });
});

describe('Password & Security attacks: the new password’s rule', () => {
  it('invisible characters do not hide the email or the product name inside a password', () => {
    const context = { email: 'Tom.Smith@ridge.test', productName: 'Groundwork ID', onlyFactor: false };
    for (const password of ['violet Tom\u200BSmith harbour 72', 'violet tom\u00ADsmith harbour 72', 'violet to\u2060msmith harbour 72', 'violet Ground\u200Dwork ID harbour 72', 'violet ｔｏｍｓｍｉｔｈ harbour 72']) {
      const verdict = checkNewPassword(password, context);
      assert.equal(verdict.ok, false, JSON.stringify(password));
    }
  });

  it('counts characters, not UTF-16 units or bytes: 128 emoji pass the length rule, 129 do not; spaces are kept', () => {
    const context = { email: 'tom@ridge.test', productName: 'Groundwork ID', onlyFactor: false };
    const emoji = ['🦊', '🐙', '🦉', '🐢', '🦔', '🐝', '🦎', '🐳'];
    const long = Array.from({ length: 129 }, (_, i) => emoji[(i * 7 + (i >> 3)) % emoji.length]).join('');
    assert.deepEqual(checkNewPassword(long, context), { ok: false, refusal: 'too_long', message: 'Use at most 128 characters.' });
    assert.equal(checkNewPassword('        ', context).ok, false, 'eight spaces');
  });
});
