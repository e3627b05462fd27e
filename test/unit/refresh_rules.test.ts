import assert from 'node:assert/strict';
import { refreshTokenTtl } from '../../provider/refresh_lifetime.ts';
import { refreshRefusal, type RefreshCheck } from '../../provider/refresh_policy.ts';

describe('refresh token lifetime', () => {
  const lifetime = { absoluteSeconds: 30 * 86400, idleSeconds: 14 * 86400 };
  const t0 = 1_800_000_000;
  // [what, first issued at, now, expected seconds]
  const cases: [string, number, number, number][] = [
    ['first issue: the idle lifetime', t0, t0, 14 * 86400],
    ['rotation early in the chain: idle again', t0, t0 + 86400, 14 * 86400],
    ['rotation near the end: only what is left of the absolute lifetime', t0, t0 + 20 * 86400, 10 * 86400],
    ['rotation one second before the end', t0, t0 + 30 * 86400 - 1, 1],
    ['past the end (clock skew): never zero, oidc-provider needs a positive TTL', t0, t0 + 31 * 86400, 1],
  ];
  for (const [what, firstIssuedAt, now, expected] of cases) {
    it(what, () => {
      assert.equal(refreshTokenTtl(lifetime, firstIssuedAt, now), expected);
    });
  }
  it('an idle lifetime longer than the absolute one is capped by it', () => {
    assert.equal(refreshTokenTtl({ absoluteSeconds: 100, idleSeconds: 500 }, t0, t0), 100);
  });
});

describe('may a refresh token still be used?', () => {
  const now = 1_800_000_000_000;
  const base: RefreshCheck = { amr: ['pwd'], mfaRequired: false, federated: false, mfaLockedUntil: 0, now };
  const cases: [string, Partial<RefreshCheck>, string | undefined][] = [
    ['single factor, MFA not required', {}, undefined],
    ['single factor, MFA now required', { mfaRequired: true }, 'mfa_required'],
    ['multi-factor, MFA required', { amr: ['pwd', 'otp', 'mfa'], mfaRequired: true }, undefined],
    ['a factor without the mfa amr, MFA required', { amr: ['pwd', 'otp'], mfaRequired: true }, 'mfa_required'],
    ['no amr recorded, MFA required', { amr: undefined, mfaRequired: true }, 'mfa_required'],
    ['MFA locked', { mfaLockedUntil: now + 60_000 }, 'mfa_locked'],
    ['MFA locked, even with a multi-factor token', { amr: ['pwd', 'otp', 'mfa'], mfaRequired: true, mfaLockedUntil: now + 1 }, 'mfa_locked'],
    ['a lock that has ended', { mfaLockedUntil: now }, undefined],
    ['a password chain of an account that now logs in by its company SSO', { federated: true, amr: ['pwd', 'otp', 'mfa'] }, 'sso_required'],
    ['a chain from the company IdP', { federated: true, amr: ['fed', 'pwd'] }, undefined],
  ];
  for (const [what, change, expected] of cases) {
    it(`${what} → ${expected ?? 'allowed'}`, () => {
      assert.equal(refreshRefusal({ ...base, ...change }), expected);
    });
  }
});
