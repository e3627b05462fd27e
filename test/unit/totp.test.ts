import assert from 'node:assert/strict';
import { MemoryFlowStore, MemoryMfaFactorStore } from '../../adapters/memory/mfa_store.ts';
import { parseEncryptionKeys } from '../../config/keys.ts';
import type { User } from '../../directory/types.ts';
import { manualClock } from '../../lib/clock.ts';
import { SecretBox } from '../../lib/secret_box.ts';
import { TotpFactor } from '../../mfa/factors/totp/totp.ts';
import { groupSetupKey, totpUri } from '../../mfa/factors/totp/uri.ts';

const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // ASCII "12345678901234567890"
const user: User = { id: 'u1', email: 'alice@acme.test', emailVerified: true, name: 'A', givenName: undefined, familyName: undefined, passwordHash: undefined, status: 'active' };

async function enrolledFactor(atSeconds: number) {
  const clock = manualClock(atSeconds * 1000);
  const store = new MemoryMfaFactorStore();
  const box = new SecretBox(parseEncryptionKeys(undefined));
  await store.saveTotp(user.id, { sealedSecret: box.seal(RFC_SECRET, user.id), createdAt: 0 }, 0);
  return { clock, store, factor: new TotpFactor({ store, flow: new MemoryFlowStore(clock), box, issuer: 'Groundwork ID', clock }) };
}

describe('TOTP factor', () => {
  // RFC 6238 Appendix B, SHA1, truncated to 6 digits.
  const vectors: [number, string][] = [
    [59, '287082'],
    [1111111109, '081804'],
    [1111111111, '050471'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ];
  for (const [time, code] of vectors) {
    it(`RFC 6238 vector: t=${time} → ${code}`, async () => {
      const { factor } = await enrolledFactor(time);
      assert.deepEqual(await factor.verify(user.id, code), { ok: true });
    });
  }

  it('accepts the previous and next step, not two steps away', async () => {
    for (const [offset, ok] of [[-30, true], [30, true], [-60, false], [60, false]] as const) {
      const { factor } = await enrolledFactor(1111111109 + offset);
      assert.equal((await factor.verify(user.id, '081804')).ok, ok, `offset ${offset}s`);
    }
  });

  it('refuses a code after a successful use, and any code of an earlier step', async () => {
    const { factor, clock } = await enrolledFactor(1111111109);
    assert.equal((await factor.verify(user.id, '081804')).ok, true);
    assert.deepEqual(await factor.verify(user.id, '081804'), { ok: false, reason: 'invalid' });
    clock.advance(30_000);
    assert.deepEqual(await factor.verify(user.id, '081804'), { ok: false, reason: 'invalid' }, 'still in the window, but already used');
  });

  it('two parallel verifications of one code: one success', async () => {
    const { factor } = await enrolledFactor(59);
    const results = await Promise.all(Array.from({ length: 10 }, () => factor.verify(user.id, '287082')));
    assert.equal(results.filter((r) => r.ok).length, 1);
  });

  for (const input of ['abcdef', '28 7082x', '2870821', '', '２８７０８２', '28708']) {
    it(`malformed ${JSON.stringify(input)} is a failure, not an exception`, async () => {
      const { factor } = await enrolledFactor(59);
      assert.deepEqual(await factor.verify(user.id, input), { ok: false, reason: 'malformed' });
    });
  }

  it('tolerates spaces inside a code', async () => {
    const { factor } = await enrolledFactor(59);
    assert.equal((await factor.verify(user.id, '287 082')).ok, true);
  });

  it('enrollment: a 160-bit secret, committed only after a correct code, re-shown on refresh', async () => {
    const clock = manualClock(1111111109_000);
    const store = new MemoryMfaFactorStore();
    const factor = new TotpFactor({ store, flow: new MemoryFlowStore(clock), box: new SecretBox(parseEncryptionKeys(undefined)), issuer: 'Groundwork ID', clock });
    // An enrollment decided on `factorVersion`, in the sign-in `interactionId`.
    const enrollment = (interactionId: string, factorVersion: number) => ({
      user,
      allowed: { totp: true as const, sms: { allowed: true as const, onlyCountries: 'default' as const } },
      factorVersion,
      context: { interactionId, ip: '127.0.0.1', userAgent: 'test' },
    });
    const enrolled = async () => factor.isEnrolled(await store.factorsOf(user.id));
    const setup = await factor.setupFor(user, 'interaction-1');
    assert.equal(setup.setupKey.length, 32, '20 bytes in base32');
    assert.equal((await factor.setupFor(user, 'interaction-1')).setupKey, setup.setupKey);
    assert.notEqual((await factor.setupFor(user, 'interaction-2')).setupKey, setup.setupKey);
    assert.deepEqual(await factor.confirmEnrollment(enrollment('interaction-1', 0), '000000'), { ok: false, reason: 'invalid' });
    assert.equal(await enrolled(), false);
    const { generate } = await import('otplib');
    const code = await generate({ secret: setup.setupKey, epoch: 1111111109 });
    assert.deepEqual(await factor.confirmEnrollment(enrollment('interaction-1', 0), code), { ok: true });
    assert.equal(await enrolled(), true);
    assert.equal((await factor.verify(user.id, code)).ok, false, 'the enrollment code cannot be replayed to log in');

    // A second app replaces the first, once verified, when committed on the current factors' version;
    // an enrollment decided on the version before the first one stores nothing.
    const next = await factor.setupFor(user, 'interaction-3');
    clock.advance(30_000);
    const nextCode = await generate({ secret: next.setupKey, epoch: 1111111139 });
    assert.deepEqual(await factor.confirmEnrollment(enrollment('interaction-3', 0), nextCode), { ok: false, reason: 'stale' });
    const replacement = await factor.setupFor(user, 'interaction-4');
    const replacementCode = await generate({ secret: replacement.setupKey, epoch: 1111111139 });
    assert.deepEqual(await factor.confirmEnrollment(enrollment('interaction-4', (await store.factorsOf(user.id)).version), replacementCode), { ok: true });
    clock.advance(30_000);
    assert.equal((await factor.verify(user.id, await generate({ secret: setup.setupKey, epoch: 1111111169 }))).ok, false, 'the old app no longer works');
    assert.equal((await factor.verify(user.id, await generate({ secret: replacement.setupKey, epoch: 1111111169 }))).ok, true);
  });
});

describe('otpauth URI', () => {
  it('Issuer:email label and the same issuer parameter, with ":" removed', () => {
    const uri = totpUri('Ground:work', 'a:b@acme.test', 'JBSWY3DPEHPK3PXP');
    assert.equal(uri, 'otpauth://totp/Groundwork:ab%40acme.test?secret=JBSWY3DPEHPK3PXP&issuer=Groundwork');
  });
  it('groups the setup key by four', () => {
    assert.equal(groupSetupKey('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'), 'JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
  });
});
