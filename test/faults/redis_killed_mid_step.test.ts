import assert from 'node:assert/strict';
import { requireTool } from '../helpers/tools.ts';
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { SingleClient } from '../../adapters/redis/client.ts';
import { manualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { ERIN_SECRET, setupKeyIn, totpNow } from '../helpers/mfa.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { RedisFaultProxy, type FaultTiming } from '../helpers/redis_fault_proxy.ts';
import { RedisServer } from '../helpers/redis_server.ts';
import { relyingParty, CLIENTS } from '../helpers/rp.ts';
import { idTokenClaims, redeem, SignInUser, type App, type Person } from './sign_in_user.ts';

const WRITES = new Set(['SET', 'DEL', 'EVAL', 'HSET', 'HDEL', 'SADD', 'SREM', 'EXPIRE', 'XADD', 'ZADD', 'ZREM', 'GETDEL', 'PERSIST', 'INCR', 'HINCRBY']);

/**
 * The writes of a step, but for the mail worker's own rounds (in the background, not the request).
 * What Redis holds after it dies depends only on which writes it applied, so dying just before each
 * write, and just after the last one, covers every state a death in the step can leave.
 */
function stepWrite(args: readonly string[]): boolean {
  const [name = '', , , firstKey = ''] = args;
  if (!WRITES.has(name)) return false;
  return !(name === 'EVAL' && /mail:\{outbox\}:(due|jobs)$/.test(firstKey));
}

/** The script that queues an email (its first key is the once-only marker). */
function isMailEnqueue(args: readonly string[]): boolean {
  return args[0] === 'EVAL' && /mail:\{outbox\}:once:/.test(args[3] ?? '');
}

/** A step of a sign-in, brought up to its request: `run` sends that request (again, when the person retries). */
interface Prepared {
  run(): Promise<Page>;
}

interface Step {
  title: string;
  person: () => Person;
  /** Brings the person to the step; the request it returns is the one Redis dies in. */
  prepare(user: SignInUser): Promise<Prepared>;
  /** What the answer to the request must be while Redis is dead. */
  unavailable: (page: Page) => void;
  /** After Redis is back: the person finishes, and the tokens must say MFA. */
  finish(user: SignInUser, prepared: Prepared): Promise<void>;
}

const fred = (): Person => ({ email: 'fred@summit.test', password: 'fred-password-1', secret: undefined, recoveryCode: undefined });
const erin = (): Person => ({ email: 'erin@summit.test', password: 'erin-password-1', secret: ERIN_SECRET, recoveryCode: undefined });

/**
 * Redis dies in the middle of each step of an MFA sign-in: just before each write the step makes, in
 * turn, and just after its last write (applied, the answer lost). Each time the request answers 503
 * with the product's page (JSON at the token endpoint); once Redis is back, the person finishes the
 * sign-in from where they were (submitting again, or going back to the app when the page says so),
 * and the tokens they get always say MFA, which they always had to enter. A person who lost their
 * app and used their recovery code is never left locked out. test/http/redis_resilience.test.ts
 * covers Redis down before a request; this covers Redis dying inside one.
 */
describe('Redis killed in the middle of each step', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let proxy: RedisFaultProxy;
  let running: RunningIdp;
  let app: App;
  /** Straight to Redis, past the proxy: what the account holds. */
  let direct: SingleClient;

  before(async function () {
    requireTool(this, 'redis-server', 'redis-server');
    redis = await RedisServer.start();
    proxy = await RedisFaultProxy.start(redis.port);
    const clock = manualClock(Date.now());
    running = await startIdp({ kind: 'redis', topology: { kind: 'single', url: proxy.url }, prefix: 'faults:' }, { clock });
    app = { issuer: running.issuer, rp: await relyingParty(running.issuer, CLIENTS.web), clock };
    direct = createClient({ url: redis.url });
    await direct.connect();
  });
  // A failed sweep leaves Redis dead: bring it back for the next step.
  afterEach(async () => {
    proxy.disarm();
    await redisBack();
  });
  after(async () => {
    await direct.close();
    await running.close();
    await proxy.close();
    await redis.stop();
  });

  /** Redis is back: new connections go through, and the app has reconnected. */
  async function redisBack(): Promise<void> {
    proxy.up();
    for (let i = 0; i < 300; i++) {
      const res = await fetch(`${app.issuer}/readyz`);
      await res.body?.cancel();
      if (res.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the app did not reconnect to Redis');
  }

  const servicePage = (page: Page): void => {
    assert.equal(page.status, 503, `${page.status}: ${page.body.slice(0, 300)}`);
    assert.match(page.body, /Temporarily unavailable/);
    assert.equal(page.headers.get('retry-after'), '60');
  };

  /** The person goes on from the step, then the app redeems the code: the ID token must say MFA. */
  async function finishAndRedeem(user: SignInUser, from: Page): Promise<void> {
    const callback = await user.finishFrom(from);
    const request = user.request;
    assert.ok(request);
    const tokens = await redeem(app, callback, request);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assertMfa(user, idTokenClaims(tokens.body));
  }

  function assertMfa(user: SignInUser, claims: { acr: string; amr: string[] }): void {
    assert.ok(user.mfaSubmitted, `tokens without a second factor ever entered: ${user.trail.join(' → ')}`);
    assert.equal(claims.acr, 'urn:idp:acr:mfa', user.trail.join(' → '));
    assert.ok(claims.amr.includes('mfa'), `amr ${claims.amr.join(',')}`);
  }

  /** The person opens the app and gets as far as the password page (a retry of a step starts here too). */
  async function toPasswordPage(user: SignInUser): Promise<Page> {
    let page = await user.startAtTheApp();
    while (page.status === 303) page = await user.browser.get(page.location ?? '');
    const email = /action="(\/interaction\/[\w-]+\/email)"/.exec(page.body)?.[1];
    assert.ok(email, page.body.slice(0, 300));
    return user.browser.post(email, { email: user.person.email });
  }

  const passwordAction = (page: Page): string => {
    const action = /action="(\/interaction\/[\w-]+\/password)"/.exec(page.body)?.[1];
    assert.ok(action, page.body.slice(0, 300));
    return action;
  };

  /** Follows the provider's redirects until a page (or the app's callback). */
  async function land(user: SignInUser, page: Page): Promise<Page> {
    let current = page;
    while ((current.status === 303 || current.status === 302) && !(current.location ?? '').startsWith('http://127.0.0.1:1/')) current = await user.browser.get(current.location ?? '');
    return current;
  }

  /** The person submits the step again, then goes on. */
  const retryAndFinish = async (user: SignInUser, prepared: Prepared): Promise<void> => {
    await finishAndRedeem(user, await prepared.run());
  };

  const steps: Step[] = [
    {
      title: 'the password',
      person: erin,
      async prepare(user) {
        const page = await toPasswordPage(user);
        const action = passwordAction(page);
        return { run: () => user.browser.post(action, { email: user.person.email, password: user.person.password }) };
      },
      unavailable: servicePage,
      finish: retryAndFinish,
    },
    {
      title: 'the resume after the password',
      person: erin,
      async prepare(user) {
        const page = await toPasswordPage(user);
        const done = await user.browser.post(passwordAction(page), { email: user.person.email, password: user.person.password });
        assert.equal(done.status, 303);
        return { run: () => user.browser.get(done.location ?? '') };
      },
      unavailable: servicePage,
      finish: retryAndFinish,
    },
    {
      title: 'the challenge (a code from the app)',
      person: erin,
      async prepare(user) {
        const codePage = await land(user, await user.browser.post(passwordAction(await toPasswordPage(user)), { email: user.person.email, password: user.person.password }));
        const action = /action="(\/interaction\/[\w-]+\/mfa\/verify)"/.exec(codePage.body)?.[1];
        assert.ok(action, codePage.body.slice(0, 300));
        app.clock.advance(30_000);
        const code = await totp(user.person);
        user.mfaSubmitted = true;
        // A person retrying after a 503 types the code shown now, which may be the same one.
        return { run: () => user.browser.post(action, { code }) };
      },
      unavailable: servicePage,
      finish: retryAndFinish,
    },
    {
      title: 'the resume after MFA',
      person: erin,
      async prepare(user) {
        const codePage = await land(user, await user.browser.post(passwordAction(await toPasswordPage(user)), { email: user.person.email, password: user.person.password }));
        const action = /action="(\/interaction\/[\w-]+\/mfa\/verify)"/.exec(codePage.body)?.[1];
        assert.ok(action);
        app.clock.advance(30_000);
        user.mfaSubmitted = true;
        const verified = await user.browser.post(action, { code: await totp(user.person) });
        assert.equal(verified.status, 303, verified.body.slice(0, 300));
        return { run: () => user.browser.get(verified.location ?? '') };
      },
      unavailable: servicePage,
      finish: retryAndFinish,
    },
    {
      title: 'the enrollment commit (a new app\'s first code)',
      person: fred,
      async prepare(user) {
        await running.idp.mfa.resetAllFactors('usr_fred');
        const required = await land(user, await user.browser.post(passwordAction(await toPasswordPage(user)), { email: user.person.email, password: user.person.password }));
        const methods = /href="(\/interaction\/[\w-]+\/mfa\/methods)"/.exec(required.body)?.[1];
        assert.ok(methods, required.body.slice(0, 300));
        const setup = await user.browser.get(methods.replace(/methods$/, 'totp'));
        const action = /action="(\/interaction\/[\w-]+\/mfa\/totp)"/.exec(setup.body)?.[1];
        assert.ok(action, setup.body.slice(0, 300));
        user.person.secret = setupKeyIn(setup);
        app.clock.advance(30_000);
        user.mfaSubmitted = true;
        const code = await totp(user.person);
        return { run: () => user.browser.post(action, { code }) };
      },
      unavailable: servicePage,
      async finish(user, prepared) {
        await retryAndFinish(user, prepared);
        await assertKnowsRecoveryCode(user, 'usr_fred');
      },
    },
    {
      title: 'the recovery code (the app lost)',
      person: () => ({ email: 'hank@summit.test', password: 'hank-password-1', secret: undefined, recoveryCode: undefined }),
      async prepare(user) {
        user.person.recoveryCode = await running.idp.mfa.issueRecoveryCode('usr_hank');
        const challenge = await land(user, await user.browser.post(passwordAction(await toPasswordPage(user)), { email: user.person.email, password: user.person.password }));
        const uid = /\/interaction\/([\w-]+)\//.exec(challenge.body)?.[1];
        assert.ok(uid, challenge.body.slice(0, 300));
        user.mfaSubmitted = true;
        const code = user.person.recoveryCode;
        return { run: () => user.browser.post(`/interaction/${uid}/mfa/recovery`, { recovery_code: code }) };
      },
      unavailable: servicePage,
      async finish(user, prepared) {
        await retryAndFinish(user, prepared);
        await assertKnowsRecoveryCode(user, 'usr_hank');
      },
    },
    {
      title: 'the token request',
      person: erin,
      async prepare(user) {
        const callback = await user.finishFrom(await user.startAtTheApp());
        const request = user.request;
        assert.ok(request);
        return {
          run: async () => {
            const answer = await redeem(app, callback, request);
            return { status: answer.status, body: JSON.stringify(answer.body), location: undefined, headers: new Headers() };
          },
        };
      },
      unavailable: (page) => {
        assert.equal(page.status, 503, page.body);
        assert.equal((JSON.parse(page.body) as { error?: string }).error, 'temporarily_unavailable');
      },
      async finish(user, prepared) {
        // The app retries with the same code; if the dead request had already used it, it starts a new login.
        const retried = await prepared.run();
        if (retried.status === 200) {
          assertMfa(user, idTokenClaims(JSON.parse(retried.body) as Record<string, unknown>));
          return;
        }
        assert.equal(retried.status, 400, retried.body);
        await finishAndRedeem(user, await user.startAtTheApp());
      },
    },
  ];

  async function totp(person: Person): Promise<string> {
    assert.ok(person.secret);
    return totpNow(person.secret, app.clock);
  }

  /**
   * The account's recovery code is the last one the person was shown, so they can still get in
   * without the app. One known gap (docs/decisions.md, "Faults"): when Redis dies after the commit
   * and before the new code reached the sign-in, the retry finds the app already set up and goes to
   * its challenge; that person never sees the code, keeps their app, and can request a new code at
   * Password & Security.
   */
  async function assertKnowsRecoveryCode(user: SignInUser, userId: string): Promise<void> {
    const shown = user.recoveryCodesShown.at(-1);
    if (shown === undefined) {
      assert.ok(user.trail.some((t) => t.includes('already set up')), `enrolled without ever being shown a recovery code: ${user.trail.join(' → ')}`);
      assert.ok(await direct.hExists(`faults:mfa:{u:${userId}}:factors`, 'totp'), 'the app stays the way in');
      return;
    }
    const stored = await direct.hGet(`faults:mfa:{u:${userId}}:factors`, 'recovery');
    assert.equal(stored, createHash('sha256').update(shown.replace(/-/g, '')).digest('hex'), `the recovery code shown is not the account's: ${user.trail.join(' → ')}`);
  }

  /** Kills Redis at the step's (skip+1)-th write; undefined when the step made no more than `skip`. */
  async function faultAt(step: Step, skip: number, timing: FaultTiming): Promise<{ sprungOn: readonly string[] } | undefined> {
    const user = new SignInUser(app, new Browser(app.issuer), step.person());
    const prepared = await step.prepare(user);
    const trap = proxy.trap({ counts: stepWrite, skip, timing });
    const answer = await prepared.run();
    const sprungOn = trap.sprungOn;
    proxy.disarm();
    if (sprungOn === undefined) {
      await step.finish(user, { run: () => Promise.resolve(answer) });
      return undefined;
    }
    const where = `${timing} write ${skip + 1} (${sprungOn.slice(0, 2).join(' ').slice(0, 60)})`;
    try {
      // A security email that cannot be queued is logged, not raised (audit/security_events.ts): the
      // change it reports is made, so the step goes on; Redis dying right there loses that email.
      if (isMailEnqueue(sprungOn) && answer.status < 400) {
        await redisBack();
        await step.finish(user, { run: () => Promise.resolve(answer) });
        return { sprungOn };
      }
      step.unavailable(answer);
      await redisBack();
      await step.finish(user, prepared);
    } catch (err) {
      if (err instanceof Error) err.message = `Redis killed ${where}: ${err.message}`;
      throw err;
    }
    return { sprungOn };
  }

  for (const step of steps) {
    it(`${step.title}: 503 while Redis is dead, then the sign-in finishes, with MFA`, async () => {
      let writes = 0;
      while (await faultAt(step, writes, 'before')) writes++;
      assert.ok(writes > 0, 'the step wrote nothing: its commands were not seen');
      // Every write applied, the answer lost.
      assert.ok(await faultAt(step, writes - 1, 'after'));
    });
  }
});
