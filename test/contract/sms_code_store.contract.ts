import assert from 'node:assert/strict';
import type { SmsCodeStore } from '../../mfa/store.ts';

const TTL_SECONDS = 600;
const EXPIRES_AT = 1_000_000;
const BEFORE_EXPIRY = EXPIRES_AT - 1;

/** What every SmsCodeStore must do (the promises of its doc comments). Run against each implementation. */
export function smsCodeStoreContract(makeStore: () => Promise<SmsCodeStore> | SmsCodeStore): void {
  let store: SmsCodeStore;
  beforeEach(async () => {
    store = await makeStore();
  });

  it('a matching check succeeds once: the code is deleted (single use)', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    assert.equal(await store.check('k', 'h1', BEFORE_EXPIRY, 3), 'ok');
    assert.equal(await store.check('k', 'h1', BEFORE_EXPIRY, 3), 'missing');
  });

  it('a key never written is missing', async () => {
    assert.equal(await store.check('nothing', 'h1', BEFORE_EXPIRY, 3), 'missing');
  });

  it('keys are independent', async () => {
    await store.put('a', 'h1', EXPIRES_AT, TTL_SECONDS);
    await store.put('b', 'h2', EXPIRES_AT, TTL_SECONDS);
    assert.equal(await store.check('a', 'h2', BEFORE_EXPIRY, 3), 'mismatch');
    assert.equal(await store.check('b', 'h2', BEFORE_EXPIRY, 3), 'ok');
    assert.equal(await store.check('a', 'h1', BEFORE_EXPIRY, 3), 'ok');
  });

  it('a new code replaces the earlier one, which no longer matches', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    await store.put('k', 'h2', EXPIRES_AT, TTL_SECONDS);
    assert.equal(await store.check('k', 'h1', BEFORE_EXPIRY, 3), 'mismatch');
    assert.equal(await store.check('k', 'h2', BEFORE_EXPIRY, 3), 'ok');
  });

  it('a new code starts its own count of checks and its own expiry', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'mismatch');
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'mismatch');
    await store.put('k', 'h2', EXPIRES_AT + 60_000, TTL_SECONDS);
    assert.equal(await store.check('k', 'wrong', EXPIRES_AT, 3), 'mismatch', 'the earlier checks and expiry went with the earlier code');
    assert.equal(await store.check('k', 'wrong', EXPIRES_AT, 3), 'mismatch');
    assert.equal(await store.check('k', 'h2', EXPIRES_AT, 3), 'ok');
  });

  it('counts failed checks: the maxChecks-th one exhausts the code and deletes it', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'mismatch');
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'mismatch');
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'exhausted');
    assert.equal(await store.check('k', 'h1', BEFORE_EXPIRY, 3), 'missing', 'not even the right code is accepted after that');
  });

  it('the right code is accepted on the last allowed check', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'mismatch');
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'mismatch');
    assert.equal(await store.check('k', 'h1', BEFORE_EXPIRY, 3), 'ok');
  });

  it('expires by the time the caller passes: from expiresAtMs on, the code is expired and deleted', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    assert.equal(await store.check('k', 'wrong', BEFORE_EXPIRY, 3), 'mismatch', 'still valid one ms before');
    assert.equal(await store.check('k', 'h1', EXPIRES_AT, 3), 'expired', 'the right code, too late');
    assert.equal(await store.check('k', 'h1', BEFORE_EXPIRY, 3), 'missing', 'the expired code was deleted');
  });

  it('of parallel checks of the right code exactly one succeeds', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.check('k', 'h1', BEFORE_EXPIRY, 3)));
    assert.deepEqual(results.filter((r) => r !== 'missing'), ['ok']);
  });

  it('parallel wrong guesses get no more than maxChecks checks', async () => {
    await store.put('k', 'h1', EXPIRES_AT, TTL_SECONDS);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.check('k', 'wrong', BEFORE_EXPIRY, 3)));
    assert.deepEqual(results.filter((r) => r !== 'missing').sort(), ['exhausted', 'mismatch', 'mismatch']);
  });
}
