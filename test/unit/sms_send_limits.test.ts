import assert from 'node:assert/strict';
import { openRedis, type TestRedis as RedisClient } from '../helpers/redis_access.ts';
import type { SmsLimits } from '../../config/config.ts';
import { SmsSendLimits, type SendSubject } from '../../mfa/factors/sms/send_limits.ts';
import { memoryLimiters, redisLimiters } from '../../adapters/limiters.ts';
import type { LimiterFactory } from '../../lib/limiters.ts';
import { useRedis } from '../helpers/redis_suite.ts';

const GENEROUS: SmsLimits = {
  cooldownSeconds: 30,
  perNumber: { hour: 1000, day: 1000 },
  perAccount: { hour: 1000, day: 1000 },
  perIp: { hour: 1000, day: 1000 },
  perCountry: { hour: 1000, day: 1000 },
  globalPerDay: 1000,
};

const subject = (over: Partial<SendSubject> = {}): SendSubject => ({ userId: 'usr_a', numberKey: 'n-0', country: 'US', ip: '198.51.100.1', ...over });

/** Sends at once; returns how many were allowed, and the refusals' reasons. */
async function sendAtOnce(limits: SmsSendLimits, subjects: SendSubject[]) {
  const verdicts = await Promise.all(subjects.map((s) => limits.take(s)));
  return { allowed: verdicts.filter((v) => v.allowed).length, reasons: new Set(verdicts.flatMap((v) => (v.allowed ? [] : [v.reason]))) };
}

function sendLimitsSuite(limiters: () => LimiterFactory): void {
  it('parallel sends to many numbers of one account: exactly the account cap go out', async () => {
    const limits = new SmsSendLimits({ ...GENEROUS, perAccount: { hour: 5, day: 10 } }, limiters());
    const { allowed, reasons } = await sendAtOnce(limits, Array.from({ length: 60 }, (_, i) => subject({ numberKey: `n-${i}` })));
    assert.equal(allowed, 5);
    assert.deepEqual([...reasons], ['limit']);
  });

  it('parallel sends to one number without a cooldown: exactly the number cap go out', async () => {
    const limits = new SmsSendLimits({ ...GENEROUS, cooldownSeconds: 0, perNumber: { hour: 3, day: 10 } }, limiters());
    assert.equal((await sendAtOnce(limits, Array.from({ length: 40 }, () => subject()))).allowed, 3);
  });

  it('parallel sends to one number: the cooldown lets one through', async () => {
    const limits = new SmsSendLimits(GENEROUS, limiters());
    const { allowed, reasons } = await sendAtOnce(limits, Array.from({ length: 20 }, () => subject()));
    assert.equal(allowed, 1);
    assert.deepEqual([...reasons], ['cooldown']);
  });

  it('a refused send counts against no cap: the refused requests of one address do not use up the account', async () => {
    const limits = new SmsSendLimits({ ...GENEROUS, perIp: { hour: 2, day: 10 }, perAccount: { hour: 5, day: 10 } }, limiters());
    const fromA = await sendAtOnce(limits, Array.from({ length: 20 }, (_, i) => subject({ numberKey: `a-${i}`, ip: '198.51.100.1' })));
    assert.equal(fromA.allowed, 2);
    for (let i = 0; i < 3; i++) assert.equal((await limits.take(subject({ numberKey: `b-${i}`, ip: `198.51.100.${10 + i}` }))).allowed, true);
    assert.equal((await limits.take(subject({ numberKey: 'b-9', ip: '198.51.100.20' }))).allowed, false, 'the account cap (5) is reached');
  });

  it('a text the gateway did not send clears the cooldown once, even when the gateway outlasted the cooldown', async () => {
    const made = new Map<string, ReturnType<LimiterFactory>>();
    const factory: LimiterFactory = (prefix, points, duration) => {
      const limiter = limiters()(prefix, points, duration);
      made.set(prefix, limiter);
      return limiter;
    };
    const limits = new SmsSendLimits(GENEROUS, factory);
    assert.equal((await limits.take(subject())).allowed, true);
    // The gateway took longer than the cooldown: its window is over before the failure is known.
    await made.get('sms_cooldown')?.delete('n-0');
    await limits.notSent(subject());
    const { allowed, reasons } = await sendAtOnce(limits, Array.from({ length: 5 }, () => subject()));
    assert.equal(allowed, 1, 'one new text, then the cooldown again');
    assert.deepEqual([...reasons], ['cooldown']);
  });
}

describe('SMS send limits', () => {
  describe('on the in-memory limiters', () => {
    sendLimitsSuite(() => memoryLimiters);
  });

  describe('on Redis', () => {
    let client: RedisClient | undefined;
    // Registered before useRedis() so that it runs before the server is stopped.
    after(async () => {
      await client?.close();
    });
    const redis = useRedis();
    before(async () => {
      client = await openRedis(redis().topology);
    });
    let run = 0;
    sendLimitsSuite(() => {
      if (!client) throw new Error('not connected');
      return redisLimiters(client, `${redis().prefix}${++run}:`);
    });
  });
});
