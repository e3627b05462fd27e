import assert from 'node:assert/strict';
import { AUDIT_EVENT_TYPES } from '../../audit/audit_log.ts';
import { countSecurityEvent } from '../../audit/event_metrics.ts';
import { createMetrics } from '../../lib/metrics.ts';
import { parseMetrics, sample } from '../helpers/metrics.ts';

describe('audit events as metrics', () => {
  const counted = async (events: [Parameters<typeof countSecurityEvent>[1], Record<string, string>?][]) => {
    const metrics = createMetrics();
    for (const [type, detail] of events) countSecurityEvent(metrics, type, detail);
    return parseMetrics(await metrics.registry.metrics());
  };

  it('every event type is counted by type', async () => {
    const samples = await counted(AUDIT_EVENT_TYPES.map((type) => [type]));
    for (const type of AUDIT_EVENT_TYPES) assert.equal(sample(samples, 'idp_security_events_total', { type }), 1, type);
  });

  it('enrollments by factor: new, or replaced (an app replaced, a number changed)', async () => {
    const samples = await counted([['mfa.enrolled', { factor: 'totp' }], ['mfa.enrolled', { factor: 'sms' }], ['mfa.authenticator_replaced', { factor: 'totp' }], ['mfa.phone_changed', { factor: 'sms' }]]);
    assert.equal(sample(samples, 'idp_mfa_enrollments_total', { factor: 'totp', change: 'new' }), 1);
    assert.equal(sample(samples, 'idp_mfa_enrollments_total', { factor: 'sms', change: 'new' }), 1);
    assert.equal(sample(samples, 'idp_mfa_enrollments_total', { factor: 'totp', change: 'replaced' }), 1);
    assert.equal(sample(samples, 'idp_mfa_enrollments_total', { factor: 'sms', change: 'replaced' }), 1);
  });

  it('SSO sign-ins, MFA locks, recovery codes and resets under their own names', async () => {
    const samples = await counted([
      ['sso.login', { company: 'acme' }],
      ['sso.login_failed', { company: 'acme', reason: 'no_account' }],
      ['sso.login_failed', { company: 'acme', reason: 'replayed_state' }],
      ['mfa.locked'],
      ['mfa.recovery_code_used', { factor: 'recovery_code' }],
      ['mfa.reset', { by: 'company_admin', companyId: 'acme', adminId: 'usr_ada' }],
      ['mfa.reset', { by: 'support', reason: 'ticket 1' }],
    ]);
    assert.equal(sample(samples, 'idp_logins_total', { method: 'sso', result: 'success' }), 1);
    assert.equal(sample(samples, 'idp_logins_total', { method: 'sso', result: 'failed' }), 2);
    assert.equal(sample(samples, 'idp_lockouts_total', { kind: 'mfa', scope: 'account' }), 1);
    assert.equal(sample(samples, 'idp_recovery_codes_used_total'), 1);
    assert.equal(sample(samples, 'idp_mfa_resets_total', { by: 'company_admin' }), 1);
    assert.equal(sample(samples, 'idp_mfa_resets_total', { by: 'support' }), 1);
  });

  it('a detail value outside the known ones is `other`: free text never becomes a label', async () => {
    const samples = await counted([['mfa.enrolled', { factor: 'usr_alice' }], ['mfa.reset', { by: 'alice@acme.test' }], ['mfa.enrolled']]);
    assert.equal(sample(samples, 'idp_mfa_enrollments_total', { factor: 'other', change: 'new' }), 2);
    assert.equal(sample(samples, 'idp_mfa_resets_total', { by: 'other' }), 1);
    assert.ok(!JSON.stringify(samples).includes('alice'));
  });
});
