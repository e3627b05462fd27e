import assert from 'node:assert/strict';
import { methodsAllowedForPayRoles, type MfaRequirement } from '../../mfa/policy.ts';
import { decideRemoval, requiredWithoutFactors } from '../../self_service/methods.ts';

const common = { methods: methodsAllowedForPayRoles([]), reverifySeconds: 86_400, federation: undefined };

describe('Password & Security: removing a method', () => {
  it('MFA is required of the user for a reason other than having a factor', () => {
    const required = (reasons: string[]): MfaRequirement => ({ kind: 'required', reasons, ...common });
    assert.equal(requiredWithoutFactors(required(['enrolled'])), false, 'having a factor is no reason to keep the last one');
    assert.equal(requiredWithoutFactors(required(['enrolled', 'company:ridge'])), true);
    assert.equal(requiredWithoutFactors(required(['pay:ridge', 'enrolled'])), true, 'a Procore Pay role');
    assert.equal(requiredWithoutFactors({ kind: 'optional_enrollment', deadline: '2099-01-01', ...common }), false, 'a deadline still ahead');
    assert.equal(requiredWithoutFactors({ kind: 'none', ...common }), false);
  });

  const rows: { name: string; input: Parameters<typeof decideRemoval>[0]; expect: ReturnType<typeof decideRemoval> }[] = [
    { name: 'the last method while required', input: { method: 'totp', enrolled: ['totp'], usable: ['totp'], preferred: 'totp', required: true }, expect: { ok: false, reason: 'last_factor_required' } },
    {
      name: 'the last usable method while required, though an unusable phone remains (a payor)',
      input: { method: 'totp', enrolled: ['totp', 'sms'], usable: ['totp'], preferred: 'totp', required: true },
      expect: { ok: false, reason: 'last_factor_required' },
    },
    { name: 'an unusable phone beside the app', input: { method: 'sms', enrolled: ['totp', 'sms'], usable: ['totp'], preferred: 'totp', required: true }, expect: { ok: true, lastFactor: false, preferred: 'totp' } },
    { name: 'the preferred app, with a phone left', input: { method: 'totp', enrolled: ['totp', 'sms'], usable: ['totp', 'sms'], preferred: 'totp', required: true }, expect: { ok: true, lastFactor: false, preferred: 'sms' } },
    { name: 'the other method: the preference stays', input: { method: 'sms', enrolled: ['totp', 'sms'], usable: ['totp', 'sms'], preferred: 'totp', required: true }, expect: { ok: true, lastFactor: false, preferred: 'totp' } },
    { name: 'the last method when not required', input: { method: 'totp', enrolled: ['totp'], usable: ['totp'], preferred: 'totp', required: false }, expect: { ok: true, lastFactor: true, preferred: undefined } },
    { name: 'the last usable method when not required: the unusable phone stays, preferred', input: { method: 'totp', enrolled: ['totp', 'sms'], usable: ['totp'], preferred: undefined, required: false }, expect: { ok: true, lastFactor: false, preferred: 'sms' } },
    { name: 'a method not enrolled', input: { method: 'sms', enrolled: ['totp'], usable: ['totp'], preferred: 'totp', required: false }, expect: { ok: false, reason: 'not_enrolled' } },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(decideRemoval(row.input), row.expect);
    });
  }
});
