import assert from 'node:assert/strict';
import type { AdapterFactory } from 'oidc-provider';

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

  it('consume marks the payload consumed, and never creates a missing one', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'u1' }, 600);
    await codes.consume('c1');
    const found = await codes.find('c1');
    assert.equal(typeof found?.consumed, 'number');
    await codes.consume('missing');
    assert.equal(await codes.find('missing'), undefined);
  });

  it('parallel consumes leave one consumed payload', async () => {
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', { accountId: 'u1' }, 600);
    await Promise.all(Array.from({ length: 20 }, () => codes.consume('c1')));
    assert.equal(typeof (await codes.find('c1'))?.consumed, 'number');
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

  it('stores clients without expiry', async () => {
    await adapter('Client').upsert('web', { client_id: 'web', redirect_uris: ['https://app.test/cb'] });
    assert.deepEqual(await adapter('Client').find('web'), { client_id: 'web', redirect_uris: ['https://app.test/cb'] });
  });
}
