import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { onEachBackend } from '../helpers/backends.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { passwordStep } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';

/** Mfa.resetAllFactors, the factor half of an admin's MFA reset, through the real app. */
onEachBackend('resetting every factor of an account', (backend) => {
  let clock: ReturnType<typeof manualClock>;
  let running: RunningIdp;
  beforeEach(async () => {
    clock = manualClock();
    running = await startIdp(backend(), { clock });
  });
  afterEach(async () => {
    await running.close();
  });

  it('removes the factors and the lock: the next sign-in sets up again instead of waiting out the lock', async () => {
    const { mfaFactors, mfaLockout } = running.idp.stores;
    await mfaFactors.setPreferredMethod('usr_hank', 'sms');
    await mfaLockout.lock('usr_hank', 0, clock() + 60 * 60_000);
    const before = await mfaFactors.factorsOf('usr_hank');
    assert.deepEqual([before.totp, before.phone !== undefined], [true, true]);

    await running.idp.mfa.resetAllFactors('usr_hank');

    const after = await mfaFactors.factorsOf('usr_hank');
    assert.deepEqual({ ...after, version: 0 }, { totp: false, phone: undefined, preferred: undefined, version: 0, recoveringSession: undefined, recoveryCode: false, recoveryCodeIssuedAt: undefined });
    assert.ok(after.version > before.version);
    assert.deepEqual(await mfaLockout.read('usr_hank'), { failures: 0, level: 0, lockedUntil: 0 });
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const { page } = await passwordStep(new Browser(running.issuer), (await authorizationRequest(rp, CLIENTS.web)).url, 'hank@summit.test', 'hank-password-1');
    assert.match(page.body, /Two-Factor Authentication Required/);
  });
});
