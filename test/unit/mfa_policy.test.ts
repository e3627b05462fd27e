import assert from 'node:assert/strict';
import type { Company, Membership, PayRole, User } from '../../directory/types.ts';
import { mfaRequirementFor, localDate, type MfaRequirement } from '../../mfa/policy.ts';

const user: User = { id: 'u', email: 'u@x.test', emailVerified: true, name: 'U', givenName: undefined, familyName: undefined, passwordHash: undefined, status: 'active' };

const company = (id: string, mfa: Partial<Company['mfa']> & { required: boolean }, timeZone = 'UTC'): Company => ({
  id,
  name: id,
  emailDomains: [],
  timeZone,
  mfa: { enforcementDate: undefined, reverify: '30d', ...mfa },
  sso: null,
});

const member = (companyId: string, status: Membership['status'] = 'active', payRoles: PayRole[] = []): Membership => ({
  userId: 'u',
  companyId,
  status,
  permissions: { companyAdmin: 'none', directory: 'none' },
  payRoles,
});

const COMPANIES = [
  company('off', { required: false }),
  company('now', { required: true, reverify: '7d' }),
  company('dec1', { required: true, enforcementDate: '2026-12-01', reverify: '12h' }),
  company('jan1', { required: true, enforcementDate: '2027-01-01' }),
  company('la', { required: true, enforcementDate: '2026-12-01' }, 'America/Los_Angeles'),
  company('tokyo', { required: true, enforcementDate: '2026-12-01' }, 'Asia/Tokyo'),
];

interface Row {
  name: string;
  memberships: Membership[];
  now: string;
  enrolled?: boolean;
  recovering?: boolean;
  expect: Partial<{ kind: MfaRequirement['kind']; deadline: string; reasons: string[]; reverifyHours: number; sms: string }>;
}

const H = 3600;
const rows: Row[] = [
  { name: 'no company: none', memberships: [], now: '2026-11-23T12:00:00Z', expect: { kind: 'none' } },
  { name: 'company without MFA: none', memberships: [member('off')], now: '2026-11-23T12:00:00Z', expect: { kind: 'none', reverifyHours: 720 } },
  { name: 'required, no date: required now', memberships: [member('now')], now: '2026-11-23T12:00:00Z', expect: { kind: 'required', reasons: ['company:now'], reverifyHours: 168 } },
  { name: 'the day before the deadline: optional', memberships: [member('dec1')], now: '2026-11-30T23:59:59Z', expect: { kind: 'optional_enrollment', deadline: '2026-12-01' } },
  { name: 'the deadline day itself: required', memberships: [member('dec1')], now: '2026-12-01T00:00:00Z', expect: { kind: 'required', reasons: ['company:dec1'], reverifyHours: 12 } },
  { name: 'deadline in LA: still Nov 30 there at 07:59Z', memberships: [member('la')], now: '2026-12-01T07:59:00Z', expect: { kind: 'optional_enrollment' } },
  { name: 'deadline in LA: Dec 1 there at 08:00Z', memberships: [member('la')], now: '2026-12-01T08:00:00Z', expect: { kind: 'required' } },
  { name: 'deadline in Tokyo: already Dec 1 there at 15:00Z on Nov 30', memberships: [member('tokyo')], now: '2026-11-30T15:00:00Z', expect: { kind: 'required' } },
  { name: 'inactive member: excluded', memberships: [member('now', 'inactive')], now: '2026-11-23T12:00:00Z', expect: { kind: 'none' } },
  { name: 'reactivated member: applies again', memberships: [member('now', 'active')], now: '2026-11-23T12:00:00Z', expect: { kind: 'required' } },
  { name: 'several companies: required wins', memberships: [member('off'), member('jan1'), member('now')], now: '2026-11-23T12:00:00Z', expect: { kind: 'required', reasons: ['company:now'] } },
  { name: 'several companies: earliest deadline wins', memberships: [member('jan1'), member('dec1')], now: '2026-11-23T12:00:00Z', expect: { kind: 'optional_enrollment', deadline: '2026-12-01', reverifyHours: 12 } },
  { name: 'several companies: shortest re-verification wins', memberships: [member('now'), member('dec1')], now: '2026-12-02T00:00:00Z', expect: { kind: 'required', reverifyHours: 12 } },
  { name: 'enrolled user without any rule: always challenged', memberships: [member('off')], now: '2026-11-23T12:00:00Z', enrolled: true, expect: { kind: 'required', reasons: ['enrolled'] } },
  { name: 'enrolled before the deadline: challenged', memberships: [member('dec1')], now: '2026-11-23T12:00:00Z', enrolled: true, expect: { kind: 'required', reasons: ['enrolled'] } },
  { name: 'Pay role at a company without MFA: required', memberships: [member('off', 'active', ['payee'])], now: '2026-11-23T12:00:00Z', expect: { kind: 'required', reasons: ['pay:off'], sms: 'default' } },
  { name: 'payor: authenticator app only', memberships: [member('off', 'active', ['payor'])], now: '2026-11-23T12:00:00Z', expect: { kind: 'required', sms: 'refused:payor' } },
  { name: 'payee admin: SMS to US numbers only', memberships: [member('off', 'active', ['payee_admin'])], now: '2026-11-23T12:00:00Z', expect: { sms: 'US' } },
  { name: 'payor and payee admin: the stricter (app only)', memberships: [member('off', 'active', ['payee_admin']), member('now', 'active', ['payor'])], now: '2026-11-23T12:00:00Z', expect: { sms: 'refused:payor' } },
  { name: 'Pay role on an inactive membership: not counted', memberships: [member('off', 'inactive', ['payor'])], now: '2026-11-23T12:00:00Z', expect: { kind: 'none', sms: 'default' } },
  { name: 'recovering before the deadline: required, no skip', memberships: [member('dec1')], now: '2026-11-23T12:00:00Z', recovering: true, expect: { kind: 'required', reasons: ['recovery'] } },
  { name: 'recovering without any rule: required until a new factor', memberships: [member('off')], now: '2026-11-23T12:00:00Z', recovering: true, expect: { kind: 'required', reasons: ['recovery'] } },
  { name: 'membership of an unknown company: ignored', memberships: [member('gone')], now: '2026-11-23T12:00:00Z', expect: { kind: 'none' } },
];

describe('MFA policy for accounts federated to their company’s IdP', () => {
  const sso = (mode: 'idp' | 'local'): Company['sso'] => ({ type: 'oidc', issuer: 'https://idp.test', clientId: 'c', sealedClientSecret: 's', scopes: ['openid', 'email'], mfa: mode, jit: false, mfaAcrValues: [] });
  const companies = new Map(
    [
      { ...company('idpco', { required: true, reverify: '7d' }), emailDomains: ['corp.test'], sso: sso('idp') },
      { ...company('localco', { required: true, reverify: '12h' }), emailDomains: ['local.test'], sso: sso('local') },
      company('now', { required: true }),
      company('off', { required: false }),
    ].map((c) => [c.id, c]),
  );
  const corpUser: User = { ...user, email: 'u@corp.test' };
  const at = (memberships: Membership[], extra: { enrolled?: boolean; recovering?: boolean; who?: User } = {}) =>
    mfaRequirementFor({ user: extra.who ?? corpUser, memberships, companies, enrolled: extra.enrolled ?? false, recovering: extra.recovering ?? false, now: new Date('2026-11-23T12:00:00Z') });

  const rows: [string, MfaRequirement, { kind: MfaRequirement['kind']; reasons?: string[]; federation?: string }][] = [
    ['idp: the company’s own "Require MFA" is its IdP’s business', at([member('idpco')]), { kind: 'none', federation: 'idpco:idp' }],
    ['idp: factors enrolled here are not asked for', at([member('idpco')], { enrolled: true }), { kind: 'none' }],
    ['idp: nor a recovery', at([member('idpco')], { recovering: true }), { kind: 'none' }],
    ['idp: a Procore Pay role still requires our MFA', at([member('idpco', 'active', ['payee'])]), { kind: 'required', reasons: ['pay:idpco'] }],
    ['idp: another company’s requirement still counts', at([member('idpco'), member('now')]), { kind: 'required', reasons: ['company:now'] }],
    ['local: the company’s rule applies as after a password', at([member('localco')], { who: { ...user, email: 'u@local.test' } }), { kind: 'required', reasons: ['company:localco'], federation: 'localco:local' }],
    ['an email outside the SSO domains: not federated', at([member('idpco')], { who: { ...user, email: 'u@elsewhere.test' } }), { kind: 'required', reasons: ['company:idpco'] }],
    ['an inactive membership: not federated', at([member('idpco', 'inactive'), member('off')]), { kind: 'none' }],
  ];
  for (const [name, result, expected] of rows) {
    it(name, () => {
      assert.equal(result.kind, expected.kind);
      if (expected.reasons) assert.deepEqual(result.kind === 'required' ? result.reasons : undefined, expected.reasons);
      if (expected.federation) assert.equal(result.federation && `${result.federation.companyId}:${result.federation.mode}`, expected.federation);
    });
  }

  it('idp: the federation carries the company’s re-verification period', () => {
    assert.equal(at([member('idpco')]).federation?.reverifySeconds, 7 * 86400);
  });
});

describe('MFA policy', () => {
  const companies = new Map(COMPANIES.map((c) => [c.id, c]));
  for (const row of rows) {
    it(row.name, () => {
      const result = mfaRequirementFor({ user, memberships: row.memberships, companies, enrolled: row.enrolled ?? false, recovering: row.recovering ?? false, now: new Date(row.now) });
      const { expect } = row;
      if (expect.kind) assert.equal(result.kind, expect.kind);
      if (expect.deadline) assert.equal(result.kind === 'optional_enrollment' ? result.deadline : undefined, expect.deadline);
      if (expect.reasons) assert.deepEqual(result.kind === 'required' ? result.reasons : undefined, expect.reasons);
      if (expect.reverifyHours) assert.equal(result.reverifySeconds, expect.reverifyHours * H);
      if (expect.sms) {
        const sms = result.methods.sms;
        const actual = sms.allowed ? (sms.onlyCountries === 'default' ? 'default' : sms.onlyCountries.join(',')) : `refused:${sms.reason}`;
        assert.equal(actual, expect.sms);
      }
      assert.equal(result.methods.totp, true, 'the authenticator app is always allowed');
    });
  }

  it('reads dates in the company time zone', () => {
    assert.equal(localDate(new Date('2026-12-01T07:59:00Z'), 'America/Los_Angeles'), '2026-11-30');
    assert.equal(localDate(new Date('2026-11-30T15:00:00Z'), 'Asia/Tokyo'), '2026-12-01');
  });
});
