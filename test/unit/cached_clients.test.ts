import assert from 'node:assert/strict';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { CLIENT_CACHE_MS, withCachedClients } from '../../adapters/cached_clients.ts';

/** A store of clients that counts its reads. */
function countingStore() {
  const records = new Map<string, AdapterPayload>();
  let reads = 0;
  const adapter: Adapter = {
    upsert: (id, payload) => {
      records.set(id, payload);
      return Promise.resolve();
    },
    find: (id) => {
      reads++;
      const found = records.get(id);
      return Promise.resolve(found && structuredClone(found));
    },
    findByUid: () => Promise.resolve(undefined),
    findByUserCode: () => Promise.resolve(undefined),
    consume: () => Promise.resolve(),
    destroy: (id) => {
      records.delete(id);
      return Promise.resolve();
    },
    revokeByGrantId: () => Promise.resolve(),
  };
  return { records, adapter, reads: () => reads };
}

describe('client reads are reused for a few seconds', () => {
  let now = 1_000_000;
  const clock = () => now;
  const setup = () => {
    const store = countingStore();
    const clients = withCachedClients(() => store.adapter, clock)('Client');
    return { store, clients };
  };

  it('reads the store once within the window, again after it', async () => {
    const { store, clients } = setup();
    store.records.set('app', { client_id: 'app', redirect_uris: ['https://a/cb'] });
    await clients.find('app');
    await clients.find('app');
    assert.equal(store.reads(), 1);
    now += CLIENT_CACHE_MS + 1;
    await clients.find('app');
    assert.equal(store.reads(), 2);
  });

  it('a change elsewhere shows after the window; a write through this adapter at once', async () => {
    const { store, clients } = setup();
    store.records.set('app', { client_id: 'app', redirect_uris: ['https://a/cb'] });
    await clients.find('app');
    store.records.set('app', { client_id: 'app', redirect_uris: ['https://b/cb'] });
    assert.deepEqual((await clients.find('app'))?.['redirect_uris'], ['https://a/cb']);
    await clients.upsert('app', { client_id: 'app', redirect_uris: ['https://c/cb'] });
    assert.deepEqual((await clients.find('app'))?.['redirect_uris'], ['https://c/cb']);
    await clients.destroy('app');
    assert.equal(await clients.find('app'), undefined);
  });

  it('an unknown client is asked for every time (a client registered elsewhere works at once)', async () => {
    const { store, clients } = setup();
    assert.equal(await clients.find('new'), undefined);
    store.records.set('new', { client_id: 'new' });
    assert.equal((await clients.find('new'))?.['client_id'], 'new');
  });

  it('a caller that changes its copy does not change the next caller’s', async () => {
    const { store, clients } = setup();
    store.records.set('app', { client_id: 'app', scope: 'openid' });
    const first = await clients.find('app');
    if (first) first['scope'] = 'openid admin';
    assert.equal((await clients.find('app'))?.['scope'], 'openid');
  });

  it('other models pass straight through', async () => {
    const store = countingStore();
    const sessions = withCachedClients(() => store.adapter, clock)('Session');
    await sessions.find('s');
    await sessions.find('s');
    assert.equal(store.reads(), 2);
  });
});
