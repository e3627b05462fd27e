import assert from 'node:assert/strict';
import { MemoryMfaFactorStore } from '../../adapters/memory/mfa_store.ts';
import { parseEncryptionKeys } from '../../config/keys.ts';
import { SecretBox } from '../../lib/secret_box.ts';
import { formatRecoveryCode, normalizeRecoveryCode, RecoveryCodeFactor } from '../../mfa/factors/recovery_code/recovery_code.ts';

const key = (id: string, fill: number) => `${id}:${Buffer.alloc(32, fill).toString('base64')}`;

describe('SecretBox (AES-256-GCM with key ids)', () => {
  it('round-trips, and the sealed value holds no plaintext', () => {
    const box = new SecretBox(parseEncryptionKeys(key('k1', 1)));
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'usr_1');
    assert.match(sealed, /^v1\.k1\./);
    assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
    assert.equal(box.open(sealed, 'usr_1'), 'JBSWY3DPEHPK3PXP');
    assert.notEqual(box.seal('JBSWY3DPEHPK3PXP', 'usr_1'), sealed, 'a fresh IV each time');
  });

  it('after rotation, old values still open and new ones use the new key', () => {
    const old = new SecretBox(parseEncryptionKeys(key('k1', 1)));
    const rotated = new SecretBox(parseEncryptionKeys(`${key('k2', 2)},${key('k1', 1)}`));
    const sealedBefore = old.seal('secret', 'u');
    assert.equal(rotated.open(sealedBefore, 'u'), 'secret');
    assert.match(rotated.seal('secret', 'u'), /^v1\.k2\./);
  });

  it('refuses another account’s value, a tampered value and an unknown key', () => {
    const box = new SecretBox(parseEncryptionKeys(key('k1', 1)));
    const sealed = box.seal('secret', 'usr_1');
    assert.throws(() => box.open(sealed, 'usr_2'));
    const parts = sealed.split('.');
    parts[3] = Buffer.from('xxxxxx').toString('base64url');
    assert.throws(() => box.open(parts.join('.'), 'usr_1'));
    assert.throws(() => new SecretBox(parseEncryptionKeys(key('k9', 9))).open(sealed, 'usr_1'));
  });
});

describe('recovery code', () => {
  it('is 120 bits, grouped, stored only as a hash, and works once', async () => {
    const store = new MemoryMfaFactorStore();
    const factor = new RecoveryCodeFactor(store, Date.now);
    const code = await factor.issue('u');
    assert.match(code, /^([0-9A-HJKMNP-TV-Z]{4}-){5}[0-9A-HJKMNP-TV-Z]{4}$/);
    assert.deepEqual(await factor.verify('u', code), { ok: true });
    assert.deepEqual(await factor.verify('u', code), { ok: false, reason: 'invalid' });
  });

  it('issuing a new code voids the previous one', async () => {
    const factor = new RecoveryCodeFactor(new MemoryMfaFactorStore(), Date.now);
    const first = await factor.issue('u');
    const second = await factor.issue('u');
    assert.equal((await factor.verify('u', first)).ok, false);
    assert.equal((await factor.verify('u', second)).ok, true);
  });

  const inputs: [string, string | undefined][] = [
    ['abcd-efgh-jkmn-pqrs-tvwx-yz01', 'ABCDEFGHJKMNPQRSTVWXYZ01'],
    [' ABCD EFGH JKMN PQRS TVWX YZ01 ', 'ABCDEFGHJKMNPQRSTVWXYZ01'],
    ['OOOO-IIII-LLLL-0000-1111-2222', '000011111111000011112222'],
    ['ABCD-EFGH', undefined],
    ['UUUU-UUUU-UUUU-UUUU-UUUU-UUUU', undefined],
  ];
  for (const [input, expected] of inputs) {
    it(`normalizes ${JSON.stringify(input)}`, () => {
      assert.equal(normalizeRecoveryCode(input), expected);
    });
  }

  it('formats in groups of four', () => {
    assert.equal(formatRecoveryCode('ABCDEFGHJKMNPQRSTVWXYZ01'), 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ01');
  });
});
