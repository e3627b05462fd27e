import assert from 'node:assert/strict';
import type { Company, Membership, PermissionLevel, User } from '../../directory/types.ts';
import { companyAccess, type CompanyAccess } from '../../admin/permissions.ts';
import { mayResetMfa, RESET_REFUSAL_MESSAGES, RESET_REFUSALS, type ResetTarget } from '../../admin/reset_eligibility.ts';
import { applyMfaSettings, daysUntil, deadlineAdvice, isCalendarDate, isTimeZone, type MfaSettingsInput } from '../../admin/mfa_settings.ts';
import { reminderDue } from '../../admin/deadline_notices.ts';
import { deadlineText } from '../../admin/notice_emails.ts';
import { toCsv } from '../../admin/csv.ts';

const company = (mfa: Partial<Company['mfa']> = {}): Company => ({
  id: 'acme',
  name: 'Acme',
  emailDomains: ['acme.test'],
  timeZone: 'Europe/Berlin',
  mfa: { required: true, enforcementDate: undefined, reverify: '30d', ...mfa },
  sso: null,
});

const membership = (userId: string, companyId: string, companyAdmin: PermissionLevel, directory: PermissionLevel, extra: Partial<Membership> = {}): Membership => ({
  userId,
  companyId,
  status: 'active',
  permissions: { companyAdmin, directory },
  payRoles: [],
  ...extra,
});

const user = (id: string): User => ({ id, email: `${id}@acme.test`, emailVerified: true, name: id, givenName: undefined, familyName: undefined, passwordHash: undefined, status: 'active' });

describe('console permissions (companyAccess)', () => {
  const rows: [string, Membership | undefined, CompanyAccess][] = [
    ['no membership', undefined, 'none'],
    ['no Company Admin access', membership('a', 'acme', 'none', 'admin'), 'none'],
    ['read_only Company Admin: view', membership('a', 'acme', 'read_only', 'none'), 'view'],
    ['standard Company Admin: view', membership('a', 'acme', 'standard', 'admin'), 'view'],
    ['admin Company Admin, standard Directory: view only', membership('a', 'acme', 'admin', 'standard'), 'view'],
    ['admin on both: manage', membership('a', 'acme', 'admin', 'admin'), 'manage'],
    ['admin on both but inactive: none', membership('a', 'acme', 'admin', 'admin', { status: 'inactive' }), 'none'],
  ];
  for (const [name, m, expected] of rows) {
    it(name, () => {
      assert.equal(companyAccess(m), expected);
    });
  }
});

describe('mayResetMfa (reset-mfa-for-a-user.txt)', () => {
  const admin = { userId: 'adm', membership: membership('adm', 'acme', 'admin', 'admin') };
  const target = (extra: Partial<ResetTarget> = {}, memberships = [membership('usr', 'acme', 'none', 'none')]): ResetTarget => ({ user: user('usr'), memberships, federation: undefined, ...extra });
  const ok = { identityVerified: true };
  const rows: [string, Parameters<typeof mayResetMfa>, string][] = [
    ['an eligible reset', [admin, target(), company(), ok], 'ok'],
    ['Require MFA on with a future deadline still counts as enforcing', [admin, target(), company({ enforcementDate: '2099-01-01' }), ok], 'ok'],
    ['admin on Company Admin only', [{ userId: 'adm', membership: membership('adm', 'acme', 'admin', 'standard') }, target(), company(), ok], 'not_permitted'],
    ['admin on Directory only', [{ userId: 'adm', membership: membership('adm', 'acme', 'read_only', 'admin') }, target(), company(), ok], 'not_permitted'],
    ['an inactive admin membership', [{ userId: 'adm', membership: membership('adm', 'acme', 'admin', 'admin', { status: 'inactive' }) }, target(), company(), ok], 'not_permitted'],
    ['no admin membership at all', [{ userId: 'adm', membership: undefined }, target(), company(), ok], 'not_permitted'],
    ['Require MFA off', [admin, target(), company({ required: false }), ok], 'mfa_not_enforced'],
    ['no such user', [admin, undefined, company(), ok], 'not_in_directory'],
    ["another company's user", [admin, target({}, [membership('usr', 'bayside', 'none', 'none')]), company(), ok], 'not_in_directory'],
    ['an inactive member', [admin, target({}, [membership('usr', 'acme', 'none', 'none', { status: 'inactive' })]), company(), ok], 'not_in_directory'],
    ["the admin's own account", [admin, { ...target(), user: user('adm') }, company(), ok], 'own_account'],
    ['SSO with MFA at the IdP', [admin, target({ federation: { companyId: 'acme', mode: 'idp', reverifySeconds: 1 } }), company(), ok], 'managed_by_idp'],
    ['SSO with our MFA after the login: allowed', [admin, target({ federation: { companyId: 'acme', mode: 'local', reverifySeconds: 1 } }), company(), ok], 'ok'],
    ['a Procore Pay role here', [admin, target({}, [membership('usr', 'acme', 'none', 'none', { payRoles: ['payee'] })]), company(), ok], 'procore_pay'],
    ['a Procore Pay role in another company', [admin, target({}, [membership('usr', 'acme', 'none', 'none'), membership('usr', 'bayside', 'none', 'none', { payRoles: ['payor'] })]), company(), ok], 'procore_pay'],
    ['a Pay role in an inactive membership does not count', [admin, target({}, [membership('usr', 'acme', 'none', 'none'), membership('usr', 'bayside', 'none', 'none', { status: 'inactive', payRoles: ['payor'] })]), company(), ok], 'ok'],
    ['a user of several companies, reset by this one', [admin, target({}, [membership('usr', 'bayside', 'none', 'none'), membership('usr', 'acme', 'none', 'none')]), company(), ok], 'ok'],
    ['the checkbox not ticked', [admin, target(), company(), { identityVerified: false }], 'identity_not_verified'],
  ];
  for (const [name, args, expected] of rows) {
    it(`${name}: ${expected}`, () => {
      const verdict = mayResetMfa(...args);
      assert.equal(verdict.ok ? 'ok' : verdict.reason, expected);
    });
  }

  it('has one distinct message per refusal', () => {
    const messages = RESET_REFUSALS.map((reason) => RESET_REFUSAL_MESSAGES[reason]);
    assert.equal(new Set(messages).size, RESET_REFUSALS.length);
    assert.match(RESET_REFUSAL_MESSAGES.own_account, /another user with Company Admin permissions/);
    assert.match(RESET_REFUSAL_MESSAGES.managed_by_idp, /IT department/);
    assert.match(RESET_REFUSAL_MESSAGES.procore_pay, /Procore Pay Support/);
  });
});

describe('MFA settings', () => {
  const input = (extra: Partial<MfaSettingsInput> = {}): MfaSettingsInput => ({ required: true, enforcementDate: '2027-03-01', timeZone: 'Europe/Berlin', reverify: '30d', ...extra });
  const rows: [string, Company, MfaSettingsInput, string[], boolean][] = [
    ['the same settings again: nothing changes, nothing announced', company({ enforcementDate: '2027-03-01' }), input(), [], false],
    ['a new deadline: announced', company(), input(), ['enforcementDate'], true],
    ['a moved deadline: announced', company({ enforcementDate: '2027-02-01' }), input(), ['enforcementDate'], true],
    ['Require MFA turned on with a date: announced', company({ required: false, enforcementDate: '2027-03-01' }), input(), ['required'], true],
    ['Require MFA turned off: nothing announced', company({ enforcementDate: '2027-03-01' }), input({ required: false }), ['required'], false],
    ['the deadline removed (required at once): nothing to announce by date', company({ enforcementDate: '2027-03-01' }), input({ enforcementDate: undefined }), ['enforcementDate'], false],
    ['another time zone for the same date: announced', company({ enforcementDate: '2027-03-01' }), input({ timeZone: 'America/New_York' }), ['timeZone'], true],
    ['only the re-verification: not announced', company({ enforcementDate: '2027-03-01' }), input({ reverify: '7d' }), ['reverify'], false],
  ];
  for (const [name, before, form, changed, announce] of rows) {
    it(name, () => {
      const change = applyMfaSettings(before, form);
      assert.deepEqual(Object.keys(change.changed), changed);
      assert.equal(change.announce, announce);
      assert.equal(change.company.timeZone, form.timeZone);
    });
  }

  it('numbers the announcements, so a deadline moved away and back is announced again', () => {
    const first = applyMfaSettings(company(), input());
    assert.equal(first.company.mfa.announcements, 1);
    const resaved = applyMfaSettings(first.company, input());
    assert.equal(resaved.company.mfa.announcements, 1, 'the same settings again: no new announcement');
    const moved = applyMfaSettings(first.company, input({ enforcementDate: '2027-04-12' }));
    const back = applyMfaSettings(moved.company, input());
    assert.deepEqual([moved.company.mfa.announcements, back.company.mfa.announcements], [2, 3]);
    assert.equal(applyMfaSettings(back.company, input({ reverify: '7d' })).company.mfa.announcements, 3);
  });

  it('keeps old and new values for the audit event', () => {
    assert.deepEqual(applyMfaSettings(company({ enforcementDate: '2027-02-01' }), input()).changed, { enforcementDate: ['2027-02-01', '2027-03-01'] });
  });

  it('accepts real calendar dates and IANA zones only', () => {
    assert.ok(isCalendarDate('2028-02-29'));
    for (const bad of ['2027-02-29', '2027-13-01', '2027-3-1', '01/03/2027', '2027-03-01T00:00']) assert.equal(isCalendarDate(bad), false, bad);
    assert.ok(isTimeZone('Europe/Berlin') && isTimeZone('UTC'));
    assert.equal(isTimeZone('Mars/Olympus'), false);
  });

  const advice: [string, string | undefined, string, string][] = [
    ['no date', undefined, '2027-01-01T00:00:00Z', 'none'],
    ['in the past', '2026-12-01', '2027-01-01T00:00:00Z', 'past'],
    ['today: required at once', '2027-01-01', '2027-01-01T12:00:00Z', 'past'],
    ['in 10 days: short notice', '2027-01-11', '2027-01-01T12:00:00Z', 'short_notice'],
    ['in 30 days: fine', '2027-01-31', '2027-01-01T12:00:00Z', 'ok'],
  ];
  for (const [name, date, now, expected] of advice) {
    it(`deadline advice: ${name}`, () => {
      assert.equal(deadlineAdvice({ required: true, enforcementDate: date }, new Date(now), 'UTC'), expected);
    });
  }

  it('counts days in the company’s zone', () => {
    // 23:30 UTC on Feb 21 is already Feb 22 in Berlin: 7 days to Mar 1 there, 8 in UTC.
    assert.equal(daysUntil('2027-03-01', new Date('2027-02-21T23:30:00Z'), 'Europe/Berlin'), 7);
    assert.equal(daysUntil('2027-03-01', new Date('2027-02-21T23:30:00Z'), 'UTC'), 8);
  });

  it('reminds 7 days and 1 day before only', () => {
    assert.deepEqual([8, 7, 6, 2, 1, 0, -1].map(reminderDue), [undefined, 'remind_7', undefined, undefined, 'remind_1', undefined, undefined]);
  });

  it('writes the deadline as the calendar day, with its zone', () => {
    assert.equal(deadlineText('2027-03-01', 'Pacific/Auckland'), 'Monday, March 1, 2027 (Pacific/Auckland)');
  });
});

describe('CSV export', () => {
  it('is RFC 4180 with CRLF and quoting', () => {
    assert.equal(toCsv(['name', 'note'], [['Ann', 'a, "b"']]), 'name,note\r\nAnn,"a, ""b"""\r\n');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    const csv = toCsv(['v'], [['=HYPERLINK("x")'], ['+1'], ['-2'], ['@SUM(A1)'], ['plain']]);
    assert.deepEqual(csv.split('\r\n').slice(1, 6), [`"'=HYPERLINK(""x"")"`, "'+1", "'-2", "'@SUM(A1)", 'plain']);
  });
});
