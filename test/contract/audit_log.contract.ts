import assert from 'node:assert/strict';
import type { AuditEvent, AuditLog } from '../../audit/audit_log.ts';

const event = (userId: string | undefined, companyIds: string[], at: number, detail?: Record<string, string>): AuditEvent => ({
  type: 'mfa.challenge_failed',
  userId,
  companyIds,
  at,
  ip: '192.0.2.1',
  userAgent: 'test-agent/1.0',
  ...(detail ? { detail } : {}),
});

/** What every AuditLog must do (the promises of its doc comments). Run against each implementation. */
export function auditLogContract(makeLog: () => Promise<AuditLog> | AuditLog): void {
  let log: AuditLog;
  beforeEach(async () => {
    log = await makeLog();
  });

  it('lists a user’s events newest first, and only theirs', async () => {
    await log.record(event('u1', ['acme'], 1));
    await log.record(event('u2', ['acme'], 2));
    await log.record(event('u1', ['acme'], 3));
    assert.deepEqual((await log.forUser('u1', 10)).map((e) => e.at), [3, 1]);
    assert.deepEqual((await log.forUser('u2', 10)).map((e) => e.at), [2]);
    assert.deepEqual(await log.forUser('nobody', 10), []);
  });

  it('lists a company’s events newest first: an event shows in each of its companies', async () => {
    await log.record(event('u1', ['acme', 'bayside'], 1));
    await log.record(event('u2', ['acme'], 2));
    await log.record(event('u3', [], 3));
    await log.record(event('u4', ['bayside'], 4));
    assert.deepEqual((await log.forCompany('acme', 10)).map((e) => e.userId), ['u2', 'u1']);
    assert.deepEqual((await log.forCompany('bayside', 10)).map((e) => e.userId), ['u4', 'u1']);
    assert.deepEqual(await log.forCompany('nobody', 10), []);
    assert.deepEqual((await log.forUser('u3', 10)).map((e) => e.at), [3], 'an event of no company is still the user’s');
  });

  it('keeps an event with no account in its company only', async () => {
    const refused = { ...event(undefined, ['acme'], 1, { reason: 'no_account' }), type: 'sso.login_failed' as const };
    await log.record(refused);
    const [found, ...rest] = await log.forCompany('acme', 10);
    assert.deepEqual(rest, []);
    assert.equal(found?.userId, undefined);
    assert.deepEqual({ ...found, userId: undefined }, refused);
    assert.deepEqual(await log.forUser('undefined', 10), []);
  });

  it('returns at most `limit` events, the newest', async () => {
    for (let at = 1; at <= 5; at++) await log.record(event('u1', ['acme'], at));
    assert.deepEqual((await log.forUser('u1', 2)).map((e) => e.at), [5, 4]);
    assert.deepEqual((await log.forCompany('acme', 3)).map((e) => e.at), [5, 4, 3]);
    assert.deepEqual(await log.forUser('u1', 0), []);
  });

  it('returns each event as recorded, detail included or absent', async () => {
    const withDetail = { ...event('u1', ['acme', 'bayside'], 1, { method: 'totp', reason: 'wrong code' }), type: 'mfa.locked' as const };
    const without = event('u1', ['acme'], 2);
    await log.record(withDetail);
    await log.record(without);
    assert.deepEqual(await log.forUser('u1', 10), [without, withDetail]);
    assert.deepEqual(await log.forCompany('bayside', 10), [withDetail]);
  });

  it('keeps its own copy: changing a recorded or returned event does not change the log', async () => {
    const recorded = event('u1', ['acme'], 1, { method: 'sms' });
    await log.record(recorded);
    recorded.companyIds.push('bayside');
    const [returned] = await log.forUser('u1', 10);
    assert.ok(returned?.detail);
    returned.detail['method'] = 'changed';
    assert.deepEqual(await log.forUser('u1', 10), [event('u1', ['acme'], 1, { method: 'sms' })]);
    assert.deepEqual(await log.forCompany('bayside', 10), []);
  });
}
