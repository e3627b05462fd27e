import assert from 'node:assert/strict';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { MemoryDirectoryStore } from '../../adapters/memory/directory_store.ts';
import { MemoryMfaLockoutStore } from '../../adapters/memory/mfa_store.ts';
import { LoginThrottle } from '../../directory/login_throttle.ts';
import { loginWithPassword } from '../../directory/password_login.ts';
import type { LimiterFactory } from '../../lib/limiters.ts';
import { MfaLockout } from '../../mfa/lockout.ts';

/**
 * On Redis Cluster the counters of one attempt live on different shards: when one shard is down,
 * the attempt fails (a 503) after the others have counted it. Nothing was checked, so those points
 * must be given back, or a failover would lock accounts and shared addresses (a NAT, an office).
 */
class ShardOutage extends Error {}

/** Memory limiters whose consume fails for the prefixes named "down". */
function limiters(down: Set<string>): { factory: LimiterFactory; limiter: (prefix: string) => RateLimiterAbstract } {
  const made = new Map<string, RateLimiterAbstract>();
  const factory: LimiterFactory = (keyPrefix, points, duration) => {
    const limiter = new RateLimiterMemory({ keyPrefix, points, duration });
    const consume = limiter.consume.bind(limiter);
    limiter.consume = (key, pointsToConsume) => (down.has(keyPrefix) ? Promise.reject(new ShardOutage(keyPrefix)) : consume(key, pointsToConsume));
    made.set(keyPrefix, limiter);
    return limiter;
  };
  return {
    factory,
    limiter: (prefix) => {
      const found = made.get(prefix);
      if (!found) throw new Error(`no limiter ${prefix}`);
      return found;
    },
  };
}

const LOGIN_LIMITS = { account: { maxFailures: 3, windowSeconds: 900, lockSeconds: 900 }, ip: { maxFailures: 3, windowSeconds: 3600, lockSeconds: 3600 } };

async function consumed(limiter: RateLimiterAbstract, key: string): Promise<number> {
  return (await limiter.get(key))?.consumedPoints ?? 0;
}

describe('a store outage in the middle of counting an attempt counts nothing', () => {
  it('the address counter down: the account point already taken is given back', async () => {
    const down = new Set(['login_fail_ip']);
    const { factory, limiter } = limiters(down);
    const throttle = new LoginThrottle(LOGIN_LIMITS, factory);
    for (let i = 0; i < 5; i++) await assert.rejects(throttle.begin('ada@example.com', '10.0.0.1'), ShardOutage);
    down.clear();
    const attempt = await throttle.begin('ada@example.com', '10.0.0.1');
    assert.equal(attempt.allowed, true, 'five attempts cut off by the outage must not have locked the account');
    assert.equal(attempt.allowed && attempt.counted.account.attempt, 1);
    assert.equal(await consumed(limiter('login_fail_ip'), '10.0.0.1'), 1);
  });

  it('the directory down: the attempt gives its points back and the outage goes on as an error', async () => {
    const { factory, limiter } = limiters(new Set());
    const throttle = new LoginThrottle(LOGIN_LIMITS, factory);
    const directory = new MemoryDirectoryStore();
    directory.findUserByEmail = () => Promise.reject(new ShardOutage('directory'));
    for (let i = 0; i < 5; i++) await assert.rejects(loginWithPassword({ directory, throttle }, { email: 'ada@example.com', password: 'x', ip: '10.0.0.1' }), ShardOutage);
    assert.equal(await consumed(limiter('login_fail_ip'), '10.0.0.1'), 0);
    const attempt = await throttle.begin('ada@example.com', '10.0.0.1');
    assert.equal(attempt.allowed && attempt.counted.account.attempt, 1);
  });

  it('a wrong password is still counted: only an attempt that checked nothing is given back', async () => {
    const { factory, limiter } = limiters(new Set());
    const throttle = new LoginThrottle(LOGIN_LIMITS, factory);
    const result = await loginWithPassword({ directory: new MemoryDirectoryStore(), throttle }, { email: 'ada@example.com', password: 'wrong password', ip: '10.0.0.1' });
    assert.equal(result.outcome, 'invalid');
    assert.equal(await consumed(limiter('login_fail_ip'), '10.0.0.1'), 1);
  });

  it('the MFA lockout store down: the address point is given back', async () => {
    const { factory, limiter } = limiters(new Set());
    const store = new MemoryMfaLockoutStore();
    store.beginAttempt = () => Promise.reject(new ShardOutage('mfa lockout'));
    const lockout = new MfaLockout(store, { maxFailures: 3, lockMinutes: [1], ip: { maxFailures: 3, windowSeconds: 3600 } }, () => 0, factory);
    for (let i = 0; i < 5; i++) await assert.rejects(lockout.begin('usr_1', '10.0.0.1'), ShardOutage);
    assert.equal(await consumed(limiter('mfa_fail_ip'), '10.0.0.1'), 0);
  });

  it('an attempt at the limit cut off before its outcome still leads to a lock that ends', async () => {
    let now = 1_000_000;
    const lockout = new MfaLockout(new MemoryMfaLockoutStore(), { maxFailures: 3, lockMinutes: [1], ip: { maxFailures: 100, windowSeconds: 3600 } }, () => now, limiters(new Set()).factory);
    for (let i = 0; i < 2; i++) {
      const ticket = await lockout.begin('usr_1', '10.0.0.1');
      assert.equal(ticket.locked, false);
      if (!ticket.locked) await lockout.failed('usr_1', ticket);
    }
    // The third attempt is counted, then the request dies before its code is checked.
    assert.equal((await lockout.begin('usr_1', '10.0.0.1')).locked, false);
    const refused = await lockout.begin('usr_1', '10.0.0.1');
    assert.equal(refused.locked, true);
    assert.ok(refused.locked && refused.retryAfterSeconds <= 60);
    now += 61_000;
    assert.equal((await lockout.begin('usr_1', '10.0.0.1')).locked, false, 'the lock ran out: the account may try again');
  });
});

