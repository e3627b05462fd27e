import assert from 'node:assert/strict';
import { BadCursorError, type AuditEvent, type AuditEventType, type AuditLog, type AuditQuery, type ListedAuditEvent } from '../../audit/audit_log.ts';

const event = (userId: string | undefined, companyIds: string[], at: number, detail?: Record<string, string>): AuditEvent => ({
  type: 'mfa.challenge_failed',
  userId,
  companyIds,
  at,
  ip: '192.0.2.1',
  userAgent: 'test-agent/1.0',
  ...(detail ? { detail } : {}),
});

const typed = (type: AuditEventType, userId: string | undefined, companyIds: string[], at: number): AuditEvent => ({ ...event(userId, companyIds, at), type });

/** Every event of a search, following `next` to the end; also the size of each page. */
async function searchAll(log: AuditLog, companyId: string, query: Omit<AuditQuery, 'cursor'>): Promise<{ events: ListedAuditEvent[]; sizes: number[] }> {
  const events: ListedAuditEvent[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await log.search(companyId, { ...query, cursor });
    events.push(...page.events);
    sizes.push(page.events.length);
    cursor = page.next;
    assert.ok(sizes.length < 100, 'the search does not end');
  } while (cursor !== undefined);
  return { events, sizes };
}

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
  describe('search', () => {
    const ats = (events: AuditEvent[]) => events.map((e) => e.at);

    it('filters by types, by user, by an inclusive from/to on `at`, and by all at once; newest first', async () => {
      await log.record(typed('mfa.enrolled', 'u1', ['acme'], 10));
      await log.record(typed('mfa.locked', 'u2', ['acme'], 20));
      await log.record(typed('policy.changed', 'u1', ['acme'], 30));
      await log.record(typed('mfa.reset', 'u2', ['acme'], 40));
      await log.record(typed('mfa.locked', 'u1', ['acme'], 50));
      const search = async (query: Omit<AuditQuery, 'limit'>) => ats((await log.search('acme', { ...query, limit: 50 })).events);
      assert.deepEqual(await search({}), [50, 40, 30, 20, 10]);
      assert.deepEqual(await search({ types: ['mfa.locked', 'mfa.reset'] }), [50, 40, 20]);
      assert.deepEqual(await search({ types: [] }), [], 'an empty type list matches no type');
      assert.deepEqual(await search({ userId: 'u1' }), [50, 30, 10]);
      assert.deepEqual(await search({ from: 20, to: 40 }), [40, 30, 20], 'both ends inclusive');
      assert.deepEqual(await search({ from: 41 }), [50]);
      assert.deepEqual(await search({ to: 19 }), [10]);
      assert.deepEqual(await search({ from: 40, to: 20 }), []);
      assert.deepEqual(await search({ types: ['mfa.locked', 'policy.changed'], userId: 'u1', from: 30, to: 50 }), [50, 30]);
      assert.deepEqual(await search({ userId: 'nobody' }), []);
    });

    it('ranges on the event’s own `at`, whatever its order in the log or distance from the real time', async () => {
      const year = 365 * 24 * 3600_000;
      const future = Date.now() + year;
      await log.record(event('u1', ['acme'], future));
      await log.record(event('u1', ['acme'], 5)); // an injected clock moved back
      await log.record(event('u1', ['acme'], future + 1));
      const search = async (from: number, to?: number) => ats((await searchAll(log, 'acme', { from, to, limit: 10 })).events);
      assert.deepEqual(await search(future), [future + 1, future]);
      assert.deepEqual(await search(0, future - 1), [5]);
    });

    it('lists each event as recorded with an id that is stable and unique', async () => {
      const withDetail = { ...event('u1', ['acme'], 1, { reason: 'admin' }), type: 'mfa.reset' as const };
      await log.record(withDetail);
      await log.record(event('u1', ['acme'], 1));
      const first = await log.search('acme', { limit: 10 });
      const again = await log.search('acme', { limit: 10 });
      assert.deepEqual(first.events.map((e) => e.id), again.events.map((e) => e.id));
      assert.equal(new Set(first.events.map((e) => e.id)).size, 2);
      const { id, ...listed } = first.events[1] ?? assert.fail('missing');
      assert.equal(typeof id, 'string');
      assert.deepEqual(listed, withDetail);
    });

    it('pages through 25 events by 10: 10, 10, 5, no duplicate, no gap, no next at the end', async () => {
      for (let at = 1; at <= 25; at++) await log.record(event(`u${at}`, ['acme'], at));
      const first = await log.search('acme', { limit: 10 });
      assert.ok(first.next);
      const { events, sizes } = await searchAll(log, 'acme', { limit: 10 });
      assert.deepEqual(sizes, [10, 10, 5]);
      assert.deepEqual(ats(events), Array.from({ length: 25 }, (_, i) => 25 - i));
      assert.equal(new Set(events.map((e) => e.id)).size, 25);
    });

    it('pages through a filter: only matches, each once', async () => {
      for (let at = 1; at <= 30; at++) await log.record(typed(at % 3 === 0 ? 'mfa.reset' : 'sso.login', 'u1', ['acme'], at));
      const { events } = await searchAll(log, 'acme', { types: ['mfa.reset'], limit: 4 });
      assert.deepEqual(ats(events), [30, 27, 24, 21, 18, 15, 12, 9, 6, 3]);
    });

    it('a cursor continues where its page ended although events were recorded meanwhile', async () => {
      for (let at = 1; at <= 15; at++) await log.record(event('u1', ['acme'], at));
      const first = await log.search('acme', { limit: 10 });
      for (let at = 16; at <= 20; at++) await log.record(event('u1', ['acme'], at));
      const second = await log.search('acme', { limit: 10, cursor: first.next });
      assert.deepEqual(ats(first.events), [15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
      assert.deepEqual(ats(second.events), [5, 4, 3, 2, 1]);
      assert.equal(second.next, undefined);
    });

    it('reaches a match behind a long run of non-matches, the pages perhaps short or empty on the way', async () => {
      await log.record(typed('mfa.reset', undefined, ['acme'], 1));
      for (let at = 2; at <= 2_500; at++) await log.record(typed('sso.login', undefined, ['acme'], at));
      await log.record(typed('mfa.reset', undefined, ['acme'], 2_501));
      const { events } = await searchAll(log, 'acme', { types: ['mfa.reset'], limit: 10 });
      assert.deepEqual(ats(events), [2_501, 1]);
    });

    it('never lists another company’s events, nor those of no company', async () => {
      await log.record(event('u1', ['acme'], 1));
      await log.record(event('u2', ['bayside'], 2));
      await log.record(event('u3', ['acme', 'bayside'], 3));
      await log.record(event('u4', [], 4));
      assert.deepEqual((await log.search('acme', { limit: 10 })).events.map((e) => e.userId), ['u3', 'u1']);
      assert.deepEqual((await log.search('bayside', { limit: 10 })).events.map((e) => e.userId), ['u3', 'u2']);
      assert.deepEqual(await log.search('nobody', { limit: 10 }), { events: [], next: undefined });
    });

    it('a limit ≤ 0 gives an empty page; a huge one is served 500 at most', async () => {
      await log.record(event('u1', ['acme'], 1));
      assert.deepEqual(await log.search('acme', { limit: 0 }), { events: [], next: undefined });
      assert.deepEqual(await log.search('acme', { limit: -5 }), { events: [], next: undefined });
      for (let at = 2; at <= 501; at++) await log.record(event(undefined, ['acme'], at));
      const page = await log.search('acme', { limit: 1_000_000 });
      assert.equal(page.events.length, 500);
      assert.ok(page.next);
    });

    it('rejects a cursor it did not issue with BadCursorError', async () => {
      await log.record(event('u1', ['acme'], 1));
      const b64 = (text: string) => Buffer.from(text).toString('base64url');
      const bad = [
        'garbage!',
        '',
        b64('abc'),
        b64('12'),
        b64('1-2-3'),
        b64('-1-0'),
        b64('1-0 '),
        b64('99999999999999999999-0'), // beyond 64 bits
        `${b64('1-0')}=`,
        Buffer.from('1-00').toString('base64'), // padded base64, not base64url
        'MS0wMR', // decodes leniently to 1-01, but is not its encoding (MS0wMQ)
        'A'.repeat(200),
      ];
      for (const cursor of bad) {
        await assert.rejects(log.search('acme', { limit: 10, cursor }), BadCursorError, JSON.stringify(cursor));
        await assert.rejects(log.search('acme', { limit: 0, cursor }), BadCursorError, `limit 0, ${JSON.stringify(cursor)}`);
      }
      const page = await log.search('acme', { limit: 10, cursor: b64('18446744073709551615-0') });
      assert.deepEqual(ats(page.events), [1], 'a well-formed position above the log lists it all');
      assert.deepEqual(await log.search('acme', { limit: 10, cursor: b64('0-0') }), { events: [], next: undefined }, 'nothing is below the first position');
    });
  });
}
