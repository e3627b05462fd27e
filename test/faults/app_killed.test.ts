import assert from 'node:assert/strict';
import { requireTool } from '../helpers/tools.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createClient } from 'redis';
import type { SingleClient } from '../../adapters/redis/client.ts';
import { generateSigningKey } from '../../config/keys.ts';
import { manualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { ERIN_SECRET, totpNow } from '../helpers/mfa.ts';
import { RedisFaultProxy } from '../helpers/redis_fault_proxy.ts';
import { freePort, RedisServer } from '../helpers/redis_server.ts';
import { CLIENTS, relyingParty } from '../helpers/rp.ts';
import { TEST_SEED } from '../helpers/idp.ts';
import { idTokenClaims, redeem, SignInUser, type App } from './sign_in_user.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PREFIX = 'killed:';
const KEYS = {
  COOKIE_KEYS: `cookie-${randomBytes(16).toString('hex')}`,
  SIGNING_KEYS: JSON.stringify({ keys: [generateSigningKey()] }),
  MFA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
};

/** `node server.ts` as an operator runs it, on `port`, with Redis at `redisUrl`; resolves once it is ready. */
async function startServer(port: number, redisUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'server.ts')], {
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, REDIS_URL: redisUrl, REDIS_PREFIX: PREFIX, LOG_LEVEL: 'warn', ...KEYS },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not get ready: ${stderr}`);
}

async function sigkill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/**
 * The app (a real `node server.ts`) killed with SIGKILL in the last moments of an MFA sign-in:
 * after the code was accepted and before the browser came back to `/auth/:uid` to finish, or in the
 * middle of the code's check itself (after its time step was claimed, before the success was
 * recorded). A new process on the same port and Redis takes over. The person either finishes or is
 * asked for a code again; never tokens without MFA, never locked out, no failure left counted.
 * test/http/redis_resilience.test.ts covers a clean restart between requests.
 */
describe('the app killed with SIGKILL in the middle of the MFA step', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let proxy: RedisFaultProxy;
  let direct: SingleClient;
  let port: number;
  let server: ChildProcess | undefined;
  let app: App;

  before(async function () {
    requireTool(this, 'redis-server', 'redis-server');
    redis = await RedisServer.start();
    proxy = await RedisFaultProxy.start(redis.port);
    const seeded = spawnSync(process.execPath, [join(ROOT, 'tools', 'seed.ts'), TEST_SEED], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: redis.url, REDIS_PREFIX: PREFIX, LOG_LEVEL: 'silent', MFA_ENCRYPTION_KEYS: KEYS.MFA_ENCRYPTION_KEYS },
    });
    assert.equal(seeded.status, 0, seeded.stderr);
    direct = createClient({ url: redis.url });
    await direct.connect();
    port = await freePort();
    server = await startServer(port, proxy.url);
    const issuer = `http://127.0.0.1:${port}`;
    app = { issuer, rp: await relyingParty(issuer, CLIENTS.web), clock: manualClock(Date.now()) };
  });
  after(async () => {
    if (server) await sigkill(server);
    await direct.close();
    await proxy.close();
    await redis.stop();
  });
  beforeEach(async () => {
    // The server runs on real time, so the person's app does too; each test starts with the time
    // step the last one claimed forgotten (the server accepts the current step ± 1), and no lock.
    app.clock = manualClock(Date.now());
    await direct.hDel(`${PREFIX}mfa:{u:usr_erin}:factors`, 'totp_step');
    await direct.del(`${PREFIX}mfa:{u:usr_erin}:lock`);
  });

  /** The person opens the app and signs in with the password; returns the code page. */
  async function codePage(user: SignInUser): Promise<{ page: Page; verify: string }> {
    let page = await user.startAtTheApp();
    while (page.status === 303) page = await user.browser.get(page.location ?? '');
    const email = /action="(\/interaction\/[\w-]+\/email)"/.exec(page.body)?.[1];
    assert.ok(email, page.body.slice(0, 200));
    page = await user.browser.post(email, { email: user.person.email });
    const password = /action="(\/interaction\/[\w-]+\/password)"/.exec(page.body)?.[1];
    assert.ok(password, page.body.slice(0, 200));
    page = await user.browser.post(password, { email: user.person.email, password: user.person.password });
    while (page.status === 303) page = await user.browser.get(page.location ?? '');
    const verify = /action="(\/interaction\/[\w-]+\/mfa\/verify)"/.exec(page.body)?.[1];
    assert.ok(verify, `not the code page: ${page.body.slice(0, 300)}`);
    return { page, verify };
  }

  const erin = (): SignInUser => new SignInUser(app, new Browser(app.issuer), { email: 'erin@summit.test', password: 'erin-password-1', secret: ERIN_SECRET, recoveryCode: undefined });

  async function restart(): Promise<void> {
    if (server) await sigkill(server);
    proxy.down(); // whatever the dead process left held
    proxy.up();
    server = await startServer(port, proxy.url);
  }

  /** No half state: no failure is left counted, and a new sign-in is asked for the code, as before. */
  async function assertNothingHalfDone(): Promise<void> {
    const lock = await direct.hGetAll(`${PREFIX}mfa:{u:usr_erin}:lock`);
    assert.equal(Number(lock['failures'] ?? 0), 0, `failures left counted: ${JSON.stringify(lock)}`);
    assert.equal(Number(lock['lockedUntil'] ?? 0), 0, 'not locked');
    const later = erin();
    const { page } = await codePage(later);
    assert.equal(page.status, 200);
    assert.match(page.body, /Enter Your 6-digit Verification Code|verification code/i);
  }

  async function assertMfaTokens(user: SignInUser, callback: string): Promise<void> {
    const tokens = await redeem(app, callback, user.request!);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    const claims = idTokenClaims(tokens.body);
    assert.equal(claims.sub, 'usr_erin');
    assert.equal(claims.acr, 'urn:idp:acr:mfa');
    assert.ok(claims.amr.includes('otp') && claims.amr.includes('mfa'), claims.amr.join(','));
  }

  it('after the code was accepted, before the browser came back to /auth/:uid: the new process finishes the login', async () => {
    const user = erin();
    const { verify } = await codePage(user);
    user.mfaSubmitted = true;
    const accepted = await user.browser.post(verify, { code: await totpNow(ERIN_SECRET, app.clock) });
    assert.equal(accepted.status, 303);
    assert.match(accepted.location ?? '', /\/auth\/[\w-]+$/);

    await restart();
    const callback = await user.finishFrom(await user.browser.get(accepted.location ?? ''));
    assert.deepEqual(
      user.trail.filter((t) => t.includes('code page')),
      [],
      'the MFA recorded before the kill is not asked for again',
    );
    await assertMfaTokens(user, callback);
    await assertNothingHalfDone();
  });

  for (const moment of [
    { title: 'after the code\'s time step was claimed, before the success was recorded', trap: (args: readonly string[]) => args[0] === 'DEL' && /:mfa:\{u:usr_erin\}:lock$/.test(args[1] ?? ''), timing: 'before' as const },
    { title: 'after the success was stored, before the browser got the answer', trap: (args: readonly string[]) => args[0] === 'SET' && /:oidc:Interaction:/.test(args[1] ?? ''), timing: 'after' as const },
  ]) {
    it(`in the middle of the code's check, ${moment.title}: the person enters the next code and finishes`, async () => {
      const user = erin();
      const { verify } = await codePage(user);
      user.mfaSubmitted = true;
      const code = await totpNow(ERIN_SECRET, app.clock);
      const held = proxy.trap({ counts: moment.trap, skip: 0, timing: moment.timing, then: 'hang' });
      const answer = user.browser.post(verify, { code }).then(
        (page) => page,
        () => undefined, // the process died under the request
      );
      await held.sprung;
      await restart();
      assert.equal(await answer, undefined, 'the killed process never answered');

      // The browser shows an error; the person goes back and submits the form again, then does what the page asks.
      const retried = await user.browser.post(verify, { code });
      assert.notEqual(retried.status, 303, 'the same code is not accepted twice');
      assert.ok(retried.status < 500, `${retried.status}: ${retried.body.slice(0, 200)}`);
      const callback = await user.finishFrom(retried);
      await assertMfaTokens(user, callback);
      await assertNothingHalfDone();
    });
  }
});
