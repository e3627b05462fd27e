import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { MfaLockout } from '../../mfa/lockout.ts';
import type { FlowStore, MfaFactorStore, MfaLockoutStore } from '../../mfa/store.ts';
import { memoryLimiters } from '../../adapters/limiters.ts';

export interface MfaStores {
  factors: MfaFactorStore;
  lockout: MfaLockoutStore;
  flow: FlowStore;
}

/** What every MFA store must do, atomic operations included. Run against each implementation. */
export function mfaStoreContract(make: () => Promise<MfaStores> | MfaStores): void {
  let s: MfaStores;
  beforeEach(async () => {
    s = await make();
  });

  it('keeps one authenticator per user; saving again replaces it', async () => {
    assert.equal(await s.factors.getTotp('u'), undefined);
    await s.factors.saveTotp('u', { sealedSecret: 'v1.k.a.b.c', createdAt: 1 }, 10);
    await s.factors.saveTotp('u', { sealedSecret: 'v1.k.d.e.f', createdAt: 2 }, 20);
    assert.deepEqual(await s.factors.getTotp('u'), { sealedSecret: 'v1.k.d.e.f', createdAt: 2 });
    await s.factors.removeTotp('u');
    assert.equal(await s.factors.getTotp('u'), undefined);
  });

  it('claims a time step only if later than the last, atomically', async () => {
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 100);
    assert.equal(await s.factors.claimTotpStep('u', 100), false);
    assert.equal(await s.factors.claimTotpStep('u', 99), false);
    const parallel = await Promise.all(Array.from({ length: 20 }, () => s.factors.claimTotpStep('u', 101)));
    assert.equal(parallel.filter(Boolean).length, 1);
    assert.equal(await s.factors.claimTotpStep('u', 102), true);
  });

  it('a new authenticator restarts the replay guard at its verifying step', async () => {
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 500);
    await s.factors.saveTotp('u', { sealedSecret: 'y', createdAt: 2 }, 40);
    assert.equal(await s.factors.claimTotpStep('u', 41), true);
  });

  it('consumes the recovery code exactly once, even in parallel', async () => {
    await s.factors.setRecoveryCodeHash('u', 'h1');
    assert.equal(await s.factors.hasRecoveryCode('u'), true);
    assert.equal(await s.factors.consumeRecoveryCode('u', 'wrong'), false);
    const parallel = await Promise.all(Array.from({ length: 20 }, () => s.factors.consumeRecoveryCode('u', 'h1')));
    assert.equal(parallel.filter(Boolean).length, 1);
    assert.equal(await s.factors.hasRecoveryCode('u'), false);
    await s.factors.setRecoveryCodeHash('u', 'h2');
    await s.factors.removeRecoveryCode('u');
    assert.equal(await s.factors.consumeRecoveryCode('u', 'h2'), false);
  });

  it('keeps when the recovery code was issued, for as long as the code exists', async () => {
    await s.factors.setRecoveryCodeHash('u', 'h1', 1_700_000_000_000);
    assert.equal((await s.factors.factorsOf('u')).recoveryCodeIssuedAt, 1_700_000_000_000);
    await s.factors.setRecoveryCodeHash('u', 'h2');
    assert.equal((await s.factors.factorsOf('u')).recoveryCodeIssuedAt, undefined, 'a code stored without a time has none');
    await s.factors.setRecoveryCodeHash('u', 'h3', 1_800_000_000_000);
    assert.equal(await s.factors.consumeRecoveryCode('u', 'h3'), true);
    assert.deepEqual([(await s.factors.factorsOf('u')).recoveryCode, (await s.factors.factorsOf('u')).recoveryCodeIssuedAt], [false, undefined]);
  });

  it('remembers the preferred method', async () => {
    assert.equal((await s.factors.factorsOf('u')).preferred, undefined);
    await s.factors.setPreferredMethod('u', 'totp');
    assert.deepEqual(await s.factors.factorsOf('u'), { totp: false, phone: undefined, preferred: 'totp', version: 0, recoveringSession: undefined, recoveryCode: false, recoveryCodeIssuedAt: undefined });
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 1);
    const phone = { e164: '+14155550123', country: 'US', createdAt: 2 };
    await s.factors.savePhone('u', phone);
    assert.deepEqual(await s.factors.factorsOf('u'), { totp: true, phone, preferred: 'totp', version: 2, recoveringSession: undefined, recoveryCode: false, recoveryCodeIssuedAt: undefined });
    assert.deepEqual(await s.factors.factorsOf('nobody'), { totp: false, phone: undefined, preferred: undefined, version: 0, recoveringSession: undefined, recoveryCode: false, recoveryCodeIssuedAt: undefined });
    await s.factors.removePhone('u');
    assert.equal(await s.factors.getPhone('u'), undefined);
  });

  it('enrolls only on the version the decision was made on (compare-and-set)', async () => {
    const phone = { e164: '+14155550123', country: 'US', createdAt: 2 };
    const { version } = await s.factors.factorsOf('u');
    assert.equal(await s.factors.enrollIfUnchanged('u', { kind: 'totp', record: { sealedSecret: 'a', createdAt: 1 }, timeStep: 7 }, version), true);
    assert.equal(await s.factors.enrollIfUnchanged('u', { kind: 'phone', record: phone }, version), false, 'a stale version loses');
    assert.equal(await s.factors.getPhone('u'), undefined);
    assert.equal(await s.factors.claimTotpStep('u', 7), false, 'the verifying step is claimed');

    const now = (await s.factors.factorsOf('u')).version;
    const racing = await Promise.all(
      Array.from({ length: 10 }, (_, i) => s.factors.enrollIfUnchanged('u', { kind: 'totp', record: { sealedSecret: `s${i}`, createdAt: i }, timeStep: 8 }, now)),
    );
    assert.equal(racing.filter(Boolean).length, 1, 'of ten racing enrollments, one wins');
    const winner = racing.indexOf(true);
    assert.equal((await s.factors.getTotp('u'))?.sealedSecret, `s${winner}`);
  });

  it('removes one method only on the version the decision was made on, with the preference and the recovery code as asked', async () => {
    const phone = { e164: '+14155550123', country: 'US', createdAt: 2 };
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 90);
    await s.factors.savePhone('u', phone);
    await s.factors.setRecoveryCodeHash('u', 'h1', 5);
    await s.factors.setPreferredMethod('u', 'totp');
    const { version } = await s.factors.factorsOf('u');
    assert.equal(await s.factors.removeMethodIfUnchanged('u', { method: 'totp', preferred: 'sms', dropRecoveryCode: false }, version - 1), false, 'a stale version changes nothing');
    assert.equal((await s.factors.factorsOf('u')).totp, true);

    const racing = await Promise.all([
      s.factors.removeMethodIfUnchanged('u', { method: 'totp', preferred: 'sms', dropRecoveryCode: false }, version),
      s.factors.removeMethodIfUnchanged('u', { method: 'sms', preferred: 'totp', dropRecoveryCode: false }, version),
    ]);
    assert.equal(racing.filter(Boolean).length, 1, 'of two removals decided on one state, one wins: one method always remains');
    const after = await s.factors.factorsOf('u');
    assert.ok(after.version > version);
    assert.equal(after.recoveryCode, true);
    if (racing[0]) {
      assert.deepEqual([after.totp, after.phone, after.preferred], [false, phone, 'sms']);
      assert.equal(await s.factors.claimTotpStep('u', 1), true, 'the app’s last step went with it');
    } else {
      assert.deepEqual([after.totp, after.phone, after.preferred], [true, undefined, 'totp']);
    }

    const last = racing[0] ? 'sms' : 'totp';
    assert.equal(await s.factors.removeMethodIfUnchanged('u', { method: last, preferred: undefined, dropRecoveryCode: true }, after.version), true);
    const none = await s.factors.factorsOf('u');
    assert.deepEqual({ ...none, version: 0 }, { totp: false, phone: undefined, preferred: undefined, version: 0, recoveringSession: undefined, recoveryCode: false, recoveryCodeIssuedAt: undefined });
    assert.equal(await s.factors.consumeRecoveryCode('u', 'h1'), false);
    assert.equal(await s.factors.enrollIfUnchanged('u', { kind: 'totp', record: { sealedSecret: 'y', createdAt: 3 }, timeStep: 2 }, after.version), false, 'an enrollment decided before the removal');
  });

  it('recovery drops the app and the phone and marks the account until a new factor is enrolled', async () => {
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 1);
    await s.factors.savePhone('u', { e164: '+14155550123', country: 'US', createdAt: 2 });
    await s.factors.setRecoveryCodeHash('u', 'h1', 3);
    const before = (await s.factors.factorsOf('u')).version;
    assert.equal(await s.factors.redeemRecoveryCode('u', 'h1', 'session-1'), true);
    const after = await s.factors.factorsOf('u');
    assert.deepEqual({ totp: after.totp, phone: after.phone, recoveringSession: after.recoveringSession }, { totp: false, phone: undefined, recoveringSession: 'session-1' });
    assert.ok(after.version > before, 'removal changes the version');
    assert.equal(await s.factors.enrollIfUnchanged('u', { kind: 'totp', record: { sealedSecret: 'y', createdAt: 3 }, timeStep: 2 }, after.version), true);
    assert.equal((await s.factors.factorsOf('u')).recoveringSession, undefined);
  });

  it('a recovery code redeemed at sign-in goes with the app and the phone in one step, for exactly one caller', async () => {
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 1);
    await s.factors.savePhone('u', { e164: '+14155550123', country: 'US', createdAt: 2 });
    await s.factors.setRecoveryCodeHash('u', 'h1', 3);
    const before = (await s.factors.factorsOf('u')).version;
    assert.equal(await s.factors.redeemRecoveryCode('u', 'wrong', 'session-0'), false);
    assert.deepEqual([(await s.factors.factorsOf('u')).totp, (await s.factors.factorsOf('u')).version], [true, before], 'a wrong code changes nothing');
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => s.factors.redeemRecoveryCode('u', 'h1', `session-${i}`)));
    assert.equal(racing.filter(Boolean).length, 1);
    const after = await s.factors.factorsOf('u');
    assert.deepEqual(
      { totp: after.totp, phone: after.phone, recoveryCode: after.recoveryCode, recoveringSession: after.recoveringSession },
      { totp: false, phone: undefined, recoveryCode: false, recoveringSession: `session-${racing.indexOf(true)}` },
    );
    assert.ok(after.version > before, 'the version moves, so an enrollment decided before cannot commit');
    assert.equal(await s.factors.claimTotpStep('u', 1), true, 'the app’s last step went with it');
  });

  it('a reset removes every factor, the recovery code, the preference and a recovery, and a stale enrollment cannot commit', async () => {
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 80);
    await s.factors.savePhone('u', { e164: '+14155550123', country: 'US', createdAt: 2 });
    await s.factors.setRecoveryCodeHash('u', 'h2');
    await s.factors.setPreferredMethod('u', 'sms');
    const stale = await s.factors.factorsOf('u');
    assert.deepEqual([stale.totp, stale.phone !== undefined, stale.recoveryCode, stale.preferred], [true, true, true, 'sms']);

    await s.factors.resetFactors('u');
    const after = await s.factors.factorsOf('u');
    assert.deepEqual({ ...after, version: 0 }, { totp: false, phone: undefined, preferred: undefined, version: 0, recoveringSession: undefined, recoveryCode: false, recoveryCodeIssuedAt: undefined });
    assert.ok(after.version > stale.version, 'the version moves on, never back');
    assert.equal(await s.factors.getTotp('u'), undefined);
    assert.equal(await s.factors.consumeRecoveryCode('u', 'h2'), false);
    assert.equal(await s.factors.enrollIfUnchanged('u', { kind: 'totp', record: { sealedSecret: 'old-screen', createdAt: 8 }, timeStep: 1 }, stale.version), false, 'an enrollment decided before the reset');
    assert.equal(await s.factors.enrollIfUnchanged('u', { kind: 'totp', record: { sealedSecret: 'new', createdAt: 9 }, timeStep: 1 }, after.version), true);
    assert.equal(await s.factors.claimTotpStep('u', 2), true, 'the old app’s last step (80) is gone with it');
  });

  it('a reset during a recovery ends the recovery too; a reset of an account without factors still moves the version', async () => {
    await s.factors.saveTotp('u', { sealedSecret: 'x', createdAt: 1 }, 1);
    await s.factors.setRecoveryCodeHash('u', 'h1', 3);
    assert.equal(await s.factors.redeemRecoveryCode('u', 'h1', 'session-1'), true);
    await s.factors.resetFactors('u');
    assert.equal((await s.factors.factorsOf('u')).recoveringSession, undefined);
    await s.factors.resetFactors('nobody');
    assert.equal((await s.factors.factorsOf('nobody')).version, 1);
  });

  it('counts attempts in advance and refuses them while locked', async () => {
    const now = 1_000_000;
    assert.deepEqual(await s.lockout.beginAttempt('u', now), { locked: false, attempt: 1, level: 0 });
    assert.deepEqual(await s.lockout.beginAttempt('u', now), { locked: false, attempt: 2, level: 0 });
    assert.deepEqual(await s.lockout.lock('u', 0, now + 60_000), { failures: 0, level: 1, lockedUntil: now + 60_000 });
    assert.deepEqual(await s.lockout.beginAttempt('u', now + 59_999), { locked: true, lockedUntil: now + 60_000 });
    assert.deepEqual(await s.lockout.beginAttempt('u', now + 60_000), { locked: false, attempt: 1, level: 1 }, 'the count restarts after a lock');
    assert.deepEqual(await s.lockout.lock('u', 1, now + 5 * 60_000), { failures: 0, level: 2, lockedUntil: now + 5 * 60_000 });
    assert.deepEqual(await s.lockout.read('u'), { failures: 0, level: 2, lockedUntil: now + 5 * 60_000 });
    await s.lockout.reset('u');
    assert.deepEqual(await s.lockout.read('u'), { failures: 0, level: 0, lockedUntil: 0 });
  });

  it('locks only from the level the caller read: a stale level changes nothing, and of parallel locks one wins', async () => {
    await s.lockout.beginAttempt('u', 0);
    assert.equal(await s.lockout.lock('u', 1, 60_000), undefined);
    assert.deepEqual(await s.lockout.read('u'), { failures: 1, level: 0, lockedUntil: 0 });
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => s.lockout.lock('u', 0, 60_000 + i)));
    const won = racing.filter((state) => state !== undefined);
    assert.equal(won.length, 1, 'of ten locks from level 0, one wins');
    assert.deepEqual(await s.lockout.read('u'), won[0]);
  });

  it('under MfaLockout: locks grow by the configured ladder, the last length repeats, parallel locks climb a level each', async () => {
    const clock = manualClock(1_000_000);
    const lockout = new MfaLockout(s.lockout, { maxFailures: 1, lockMinutes: [1, 5], ip: { maxFailures: 100, windowSeconds: 60 } }, clock, memoryLimiters);
    const failOnce = async (): Promise<number> => {
      const ticket = await lockout.begin('u', '192.0.2.1');
      assert.equal(ticket.locked, false);
      return (await lockout.failed('u', { attempt: 1 })).retryAfterSeconds;
    };
    assert.equal(await failOnce(), 60);
    clock.advance(60_000);
    assert.equal(await failOnce(), 5 * 60);
    clock.advance(5 * 60_000);
    assert.equal(await failOnce(), 5 * 60, 'the last length repeats');
    assert.equal((await s.lockout.read('u')).level, 3);

    // Two failures that both reached the limit lock twice: the loser of the compare-and-set reads again.
    await s.lockout.reset('u');
    const both = await Promise.all([lockout.failed('u', { attempt: 1 }), lockout.failed('u', { attempt: 1 })]);
    assert.deepEqual(both.map((b) => b.retryAfterSeconds).sort((a, b) => a - b), [60, 5 * 60]);
    assert.deepEqual(await s.lockout.read('u'), { failures: 0, level: 2, lockedUntil: clock() + 5 * 60_000 });
  });

  it('numbers parallel attempts without gaps or repeats', async () => {
    const begun = await Promise.all(Array.from({ length: 7 }, () => s.lockout.beginAttempt('u', 0)));
    assert.deepEqual(begun.map((b) => (b.locked ? 0 : b.attempt)).sort(), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal((await s.lockout.read('u')).failures, 7);
  });

  it('flow state: set, get, delete, and take once', async () => {
    await s.flow.set('k', { a: 1 }, 60);
    assert.deepEqual(await s.flow.get('k'), { a: 1 });
    await s.flow.delete('k');
    assert.equal(await s.flow.get('k'), undefined);
    await s.flow.set('k', { a: 2 }, 60);
    const taken = await Promise.all(Array.from({ length: 5 }, () => s.flow.take('k')));
    assert.deepEqual(taken.filter((t) => t !== undefined), [{ a: 2 }]);
  });
}
