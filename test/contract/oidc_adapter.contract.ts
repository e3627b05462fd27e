import assert from 'node:assert/strict';
import { errors, type AdapterFactory } from 'oidc-provider';
import { AlreadyRecorded } from '../../adapters/oidc_single_use.ts';

const isInvalidGrant = (err: unknown): boolean => err instanceof errors.InvalidGrant;

/** What oidc-provider needs of its adapter. Run against each implementation. */
export function oidcAdapterContract(makeFactory: () => Promise<AdapterFactory> | AdapterFactory): void {
  let adapter: AdapterFactory;
  beforeEach(async () => {
    adapter = await makeFactory();
  });

  it('upserts and finds a payload; unknown ids are undefined', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'u1', clientId: 'web', grantId: 'g1' }, 600);
    assert.deepEqual(await codes.find('c1'), { accountId: 'u1', clientId: 'web', grantId: 'g1' });
    assert.equal(await codes.find('nope'), undefined);
    assert.equal(await adapter('AccessToken').find('c1'), undefined, 'models have separate namespaces');
  });

  it('consume marks the payload consumed; a missing one is refused and not created', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'u1' }, 600);
    await codes.consume('c1');
    const found = await codes.find('c1');
    assert.equal(typeof found?.consumed, 'number');
    await assert.rejects(codes.consume('missing'), isInvalidGrant);
    assert.equal(await codes.find('missing'), undefined);
  });

  it('a second consume is refused with invalid_grant and revokes the whole grant', async () => {
    const codes = adapter('AuthorizationCode');
    await adapter('Grant').upsert('g1', { accountId: 'u1', clientId: 'web' }, 3600);
    await codes.upsert('c1', { accountId: 'u1', grantId: 'g1' }, 600);
    await adapter('AccessToken').upsert('a1', { grantId: 'g1' }, 600);
    await adapter('RefreshToken').upsert('r1', { grantId: 'g1' }, 3600);
    await adapter('AccessToken').upsert('a2', { grantId: 'g2' }, 600);
    await codes.consume('c1');
    await assert.rejects(codes.consume('c1'), isInvalidGrant);
    assert.equal(await adapter('AccessToken').find('a1'), undefined);
    assert.equal(await adapter('RefreshToken').find('r1'), undefined);
    assert.equal(await adapter('Grant').find('g1'), undefined, 'the grant itself goes, so tokens saved later are dead too');
    assert.deepEqual(await adapter('AccessToken').find('a2'), { grantId: 'g2' });
  });

  it('of parallel consumes exactly one succeeds', async () => {
    const tokens = adapter('RefreshToken');
    await tokens.upsert('r1', { accountId: 'u1', grantId: 'g1' }, 600);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => tokens.consume('r1')));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(isInvalidGrant(r.reason));
  });

  it('an upsert replaces the payload, consumed flag included', async () => {
    const tokens = adapter('RefreshToken');
    await tokens.upsert('r1', { accountId: 'u1' }, 600);
    await tokens.consume('r1');
    await tokens.upsert('r1', { accountId: 'u2' }, 600);
    assert.deepEqual(await tokens.find('r1'), { accountId: 'u2' });
  });

  it('finds sessions by uid and destroys them', async () => {
    const sessions = adapter('Session');
    await sessions.upsert('s1', { uid: 'uid-1', accountId: 'u1' }, 600);
    assert.equal((await sessions.findByUid('uid-1'))?.accountId, 'u1');
    await sessions.destroy('s1');
    assert.equal(await sessions.find('s1'), undefined);
    assert.equal(await sessions.findByUid('uid-1'), undefined);
  });

  it('revokes every token of a grant, across models, and nothing else', async () => {
    await adapter('AccessToken').upsert('a1', { grantId: 'g1' }, 600);
    await adapter('RefreshToken').upsert('r1', { grantId: 'g1' }, 3600);
    await adapter('AuthorizationCode').upsert('c1', { grantId: 'g1' }, 60);
    await adapter('AccessToken').upsert('a2', { grantId: 'g2' }, 600);
    await adapter('AccessToken').revokeByGrantId('g1');
    assert.equal(await adapter('AccessToken').find('a1'), undefined);
    assert.equal(await adapter('RefreshToken').find('r1'), undefined);
    assert.equal(await adapter('AuthorizationCode').find('c1'), undefined);
    assert.deepEqual(await adapter('AccessToken').find('a2'), { grantId: 'g2' });
  });

  it('revoking a grant keeps the records that name it but are not its tokens (interaction, session, the grant itself)', async () => {
    // oidc-provider revokes tokens and codes by grant; an interaction carries the grantId it is
    // resuming, and the grant itself is destroyed by oidc-provider, not through this index.
    await adapter('Grant').upsert('g1', { accountId: 'u1', clientId: 'web' }, 3600);
    await adapter('Interaction').upsert('i1', { uid: 'i1', grantId: 'g1' }, 900);
    await adapter('Session').upsert('s1', { uid: 'uid-1', accountId: 'u1', grantId: 'g1' }, 3600);
    await adapter('PushedAuthorizationRequest').upsert('p1', { grantId: 'g1' }, 60);
    await adapter('AccessToken').upsert('a1', { grantId: 'g1' }, 600);
    await adapter('AccessToken').revokeByGrantId('g1');
    assert.equal(await adapter('AccessToken').find('a1'), undefined);
    assert.deepEqual(await adapter('Interaction').find('i1'), { uid: 'i1', grantId: 'g1' });
    assert.equal((await adapter('Session').findByUid('uid-1'))?.accountId, 'u1');
    assert.deepEqual(await adapter('PushedAuthorizationRequest').find('p1'), { grantId: 'g1' });
    assert.deepEqual(await adapter('Grant').find('g1'), { accountId: 'u1', clientId: 'web' });
  });

  it('replay-detection entries are insert-only: of parallel writes of one id exactly one succeeds', async () => {
    const replays = adapter('ReplayDetection');
    const writes = await Promise.allSettled(Array.from({ length: 6 }, () => replays.upsert('jti-1', { iss: 'client' }, 60)));
    assert.equal(writes.filter((w) => w.status === 'fulfilled').length, 1, writes.map((w) => w.status).join(','));
    assert.ok(writes.every((w) => w.status === 'fulfilled' || w.reason instanceof AlreadyRecorded));
    assert.deepEqual(await replays.find('jti-1'), { iss: 'client' });
  });

  it('stores clients without expiry', async () => {
    await adapter('Client').upsert('web', { client_id: 'web', redirect_uris: ['https://app.test/cb'] });
    assert.deepEqual(await adapter('Client').find('web'), { client_id: 'web', redirect_uris: ['https://app.test/cb'] });
  });
}
