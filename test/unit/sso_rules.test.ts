import assert from 'node:assert/strict';
import type { Membership, User } from '../../directory/types.ts';
import { ACR } from '../../mfa/assurance.ts';
import { matchAccount, type Candidate, type MatchInput, type MatchOutcome } from '../../sso/account_match.ts';
import { federatedAssurance, registeredAmr, upstreamProvesMfa } from '../../sso/assurance.ts';

const user = (id: string, status: User['status'] = 'active'): User => ({ id, email: `${id}@corp.test`, emailVerified: true, name: id, givenName: undefined, familyName: undefined, passwordHash: undefined, status });
const member = (companyId: string, status: Membership['status'] = 'active'): Membership => ({ userId: 'x', companyId, status, permissions: { companyAdmin: 'none', directory: 'none' }, payRoles: [] });
const candidate = (id: string, memberships: Membership[], status: User['status'] = 'active'): Candidate => ({ user: user(id, status), memberships });

const base: MatchInput = { companyId: 'corp', linked: undefined, upstream: { email: 'a@corp.test', emailVerified: true }, emailInCompanyDomains: true, byEmail: undefined, jit: false };
const outcome = (result: MatchOutcome): string => (result.kind === 'existing' ? `existing:${result.user.id}${result.link ? '+link' : ''}` : result.kind === 'create' ? 'create' : `refuse:${result.reason}`);

const matchRows: [string, Partial<MatchInput>, string][] = [
  ['linked by sub: that account, even if the email now names another', { linked: candidate('a', [member('corp')]), byEmail: candidate('b', [member('corp')]) }, 'existing:a'],
  ['linked by sub, whatever the email says now (even unverified)', { linked: candidate('a', [member('corp')]), upstream: { email: 'new@elsewhere.test', emailVerified: false } }, 'existing:a'],
  ['linked, but no longer a member: refused', { linked: candidate('a', [member('corp', 'inactive')]) }, 'refuse:other_company'],
  ['linked, but the account is disabled: refused', { linked: candidate('a', [member('corp')], 'disabled') }, 'refuse:account_disabled'],
  ['a verified email of a member: that account, linked from now on', { byEmail: candidate('a', [member('corp')]) }, 'existing:a+link'],
  ['an unverified email: refused, even for a member', { upstream: { email: 'a@corp.test', emailVerified: false }, byEmail: candidate('a', [member('corp')]) }, 'refuse:email_unverified'],
  ['no email at all: refused', { upstream: { email: undefined, emailVerified: true } }, 'refuse:email_missing'],
  ['an email outside the company’s domains, even of a member: refused', { emailInCompanyDomains: false, byEmail: candidate('a', [member('corp')]) }, 'refuse:other_company'],
  ['another company’s user with this email: refused', { byEmail: candidate('a', [member('acme')]) }, 'refuse:other_company'],
  ['unknown, JIT off: refused', {}, 'refuse:no_account'],
  ['unknown, JIT on: created', { jit: true }, 'create'],
  ['unknown, JIT on, but unverified: refused', { jit: true, upstream: { email: 'a@corp.test', emailVerified: false } }, 'refuse:email_unverified'],
  ['unknown, JIT on, but outside the domains: refused', { jit: true, emailInCompanyDomains: false }, 'refuse:other_company'],
];

describe('SSO: which account an upstream login is', () => {
  for (const [name, input, expected] of matchRows) {
    it(name, () => {
      assert.equal(outcome(matchAccount({ ...base, ...input })), expected);
    });
  }
});

describe('SSO: what the upstream proved', () => {
  const proofRows: [string, string[], string | undefined, string[], boolean][] = [
    ['a password', ['pwd'], undefined, [], false],
    ['"mfa"', ['mfa'], undefined, [], true],
    ['a password and an OTP (two kinds)', ['pwd', 'otp'], undefined, [], true],
    ['a hardware key and a fingerprint', ['hwk', 'fpt'], undefined, [], true],
    ['a password and a PIN (one kind)', ['pwd', 'pin'], undefined, [], false],
    ['a password and a risk check (not a factor)', ['pwd', 'rba'], undefined, [], false],
    ['private values do not count', ['pwd', 'x-otp'], undefined, [], false],
    ['an acr the connection lists', ['pwd'], 'urn:corp:mfa', ['urn:corp:mfa'], true],
    ['an acr it does not list', ['pwd'], 'urn:corp:mfa', [], false],
  ];
  for (const [name, amr, acr, mfaAcrValues, proves] of proofRows) {
    it(`${name}: ${proves ? 'MFA' : 'one factor'}`, () => {
      assert.equal(upstreamProvesMfa({ amr, acr }, mfaAcrValues), proves);
    });
  }

  it('keeps the RFC 8176 amr values only, once each', () => {
    assert.deepEqual(registeredAmr(['pwd', 'custom', 'otp', 'pwd', 'mfa', 'hwk']), ['pwd', 'otp', 'mfa', 'hwk']);
  });

  const assuranceRows: [string, Parameters<typeof federatedAssurance>[0], { amr: string[]; acr: string }][] = [
    ['idp, one factor', { mode: 'idp', upstream: { amr: ['pwd'], acr: undefined }, mfaAcrValues: [], payRole: false }, { amr: ['fed', 'pwd'], acr: ACR.singleFactor }],
    ['idp, MFA proved', { mode: 'idp', upstream: { amr: ['pwd', 'otp', 'mfa', 'weird'], acr: undefined }, mfaAcrValues: [], payRole: false }, { amr: ['fed', 'pwd', 'otp', 'mfa'], acr: ACR.multiFactor }],
    ['idp, MFA proved by two kinds: "mfa" said in the amr too', { mode: 'idp', upstream: { amr: ['pwd', 'hwk'], acr: undefined }, mfaAcrValues: [], payRole: false }, { amr: ['fed', 'pwd', 'hwk', 'mfa'], acr: ACR.multiFactor }],
    ['idp, MFA proved by a listed acr', { mode: 'idp', upstream: { amr: ['pwd'], acr: 'urn:corp:mfa' }, mfaAcrValues: ['urn:corp:mfa'], payRole: false }, { amr: ['fed', 'pwd', 'mfa'], acr: ACR.multiFactor }],
    ['idp, MFA proved, but a Pay role: ours decides the acr', { mode: 'idp', upstream: { amr: ['mfa'], acr: undefined }, mfaAcrValues: [], payRole: true }, { amr: ['fed', 'mfa'], acr: ACR.singleFactor }],
    ['local, MFA proved: ours still runs', { mode: 'local', upstream: { amr: ['pwd', 'otp'], acr: undefined }, mfaAcrValues: [], payRole: false }, { amr: ['fed', 'pwd', 'otp'], acr: ACR.singleFactor }],
    ['an upstream "fed" is not repeated', { mode: 'idp', upstream: { amr: ['fed', 'pwd'], acr: undefined }, mfaAcrValues: [], payRole: false }, { amr: ['fed', 'pwd'], acr: ACR.singleFactor }],
  ];
  for (const [name, input, expected] of assuranceRows) {
    it(`the login's amr and acr: ${name}`, () => {
      const { amr, acr } = federatedAssurance(input);
      assert.deepEqual({ amr, acr }, expected);
    });
  }
});
