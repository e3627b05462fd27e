import assert from 'node:assert/strict';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../notify/retry_policy.ts';

describe('email retry policy', () => {
  it('waits 30 s after the first failure, doubling each time', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryDelayMs(n)),
      [30_000, 60_000, 120_000, 240_000, 480_000],
    );
  });

  it('never waits more than an hour between attempts', () => {
    assert.equal(retryDelayMs(8), 3_600_000, '30 s × 2^7 would be 64 min');
    assert.equal(retryDelayMs(40), 3_600_000);
  });

  it('gives up once the waits add up to about three days, and not before', () => {
    let waited = 0;
    let failures = 1;
    for (let delay = retryDelayMs(failures); delay !== undefined; delay = retryDelayMs(++failures)) waited += delay;
    assert.ok(waited >= DEFAULT_RETRY_POLICY.giveUpAfterMs, `waited ${waited} ms`);
    assert.ok(waited < DEFAULT_RETRY_POLICY.giveUpAfterMs + DEFAULT_RETRY_POLICY.maxDelayMs, `waited ${waited} ms`);
    assert.equal(failures, 79, 'the 79th failed send is the last (about 3 days in)');
  });

  it('follows the policy it is given', () => {
    const policy = { firstDelayMs: 1000, maxDelayMs: 3000, giveUpAfterMs: 6000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy)),
      [1000, 2000, 3000, undefined, undefined],
    );
  });
});
