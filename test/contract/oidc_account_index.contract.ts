import assert from 'node:assert/strict';
import type { AdapterFactory } from 'oidc-provider';
import type { OidcAccountIndex } from '../../adapters/oidc_account_index.ts';

export interface IndexedOidcStorage {
  adapter: AdapterFactory;
  accounts: OidcAccountIndex;
}

const sorted = (ids: string[]): string[] => [...ids].sort();

/**
 * The account index the oidc adapters keep of sessions and grants. It may name records that are gone
 * or belong to another account now; it must never miss a live one. Run against each implementation.
 */
export function oidcAccountIndexContract(make: () => Promise<IndexedOidcStorage> | IndexedOidcStorage): void {
  let s: IndexedOidcStorage;
  beforeEach(async () => {
    s = await make();
  });

  it('lists the sessions and grants saved for an account, each once, and nothing of other accounts', async () => {
    await s.adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'usr_a' }, 3600);
    await s.adapter('Session').upsert('s2', { uid: 'uid-2', accountId: 'usr_a' }, 3600);
    await s.adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'usr_a', amr: ['pwd'] }, 3600);
    await s.adapter('Session').upsert('s3', { uid: 'uid-3', accountId: 'usr_b' }, 3600);
    await s.adapter('Grant').upsert('g1', { accountId: 'usr_a', clientId: 'web' }, 7200);
    await s.adapter('Grant').upsert('g2', { accountId: 'usr_b', clientId: 'web' }, 7200);

    assert.deepEqual(sorted(await s.accounts.sessionIdsOf('usr_a')), ['s1', 's2']);
    assert.deepEqual(await s.accounts.grantIdsOf('usr_a'), ['g1']);
    assert.deepEqual(await s.accounts.sessionIdsOf('usr_b'), ['s3']);
    assert.deepEqual(await s.accounts.grantIdsOf('usr_b'), ['g2']);
    assert.deepEqual(await s.accounts.sessionIdsOf('usr_nobody'), []);
    assert.deepEqual(await s.accounts.grantIdsOf('usr_nobody'), []);
  });

  it('indexes only sessions and grants that name an account', async () => {
    await s.adapter('Session').upsert('anonymous', { uid: 'uid-0' }, 3600);
    await s.adapter('AccessToken').upsert('a1', { accountId: 'usr_a', grantId: 'g1' }, 600);
    await s.adapter('Interaction').upsert('i1', { uid: 'i1', session: { accountId: 'usr_a' } }, 900);
    assert.deepEqual(await s.accounts.sessionIdsOf('usr_a'), []);
    assert.deepEqual(await s.accounts.grantIdsOf('usr_a'), []);
  });

  it('a session logged in again as another account is listed under the new one, and may stay under the old (readers check)', async () => {
    await s.adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'usr_a' }, 3600);
    await s.adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'usr_b' }, 3600);
    assert.deepEqual(await s.accounts.sessionIdsOf('usr_b'), ['s1']);
    for (const id of await s.accounts.sessionIdsOf('usr_a')) assert.equal((await s.adapter('Session').find(id))?.accountId, 'usr_b', 'a stale entry, which the payload tells');
  });

  it('a destroyed session or grant is either dropped or names a record that is gone; live ones stay listed', async () => {
    await s.adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'usr_a' }, 3600);
    await s.adapter('Session').upsert('s2', { uid: 'uid-2', accountId: 'usr_a' }, 3600);
    await s.adapter('Grant').upsert('g1', { accountId: 'usr_a', clientId: 'web' }, 7200);
    await s.adapter('Session').destroy('s1');
    await s.adapter('Grant').destroy('g1');
    const sessions = await s.accounts.sessionIdsOf('usr_a');
    assert.ok(sessions.includes('s2'));
    for (const id of sessions.filter((id) => id !== 's2')) assert.equal(await s.adapter('Session').find(id), undefined);
    for (const id of await s.accounts.grantIdsOf('usr_a')) assert.equal(await s.adapter('Grant').find(id), undefined);
  });

  it('records ended sessions by uid, per account; adding more keeps the earlier ones', async () => {
    assert.equal(await s.accounts.sessionEnded('usr_a', 'uid-1'), false);
    await s.accounts.endSessions('usr_a', ['uid-1', 'uid-2'], 3600);
    await s.accounts.endSessions('usr_a', [], 3600);
    await s.accounts.endSessions('usr_a', ['uid-3'], 60);
    const ended = await Promise.all(['uid-1', 'uid-2', 'uid-3', 'uid-4'].map((uid) => s.accounts.sessionEnded('usr_a', uid)));
    assert.deepEqual(ended, [true, true, true, false]);
    assert.equal(await s.accounts.sessionEnded('usr_b', 'uid-1'), false, 'another account’s session of that uid is not ended');
  });

  it('keeps listing a session saved without expiry', async () => {
    await s.adapter('Session').upsert('forever', { uid: 'uid-f', accountId: 'usr_a' });
    await s.adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'usr_a' }, 60);
    assert.deepEqual(sorted(await s.accounts.sessionIdsOf('usr_a')), ['forever', 's1']);
  });
}
