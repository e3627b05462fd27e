import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Adapter } from 'oidc-provider';
import { pino } from 'pino';
import { memoryStores, type Stores } from '../../adapters/stores.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';

interface LogLine {
  level: number;
  msg?: string;
  requestId?: string;
  err?: { message?: string; stack?: string };
}

/** Memory stores whose oidc-provider adapter fails to read clients: a bug deep inside oidc-provider's routes. */
function storesFailingOnClientFind(): Stores {
  const stores = memoryStores();
  const inner = stores.oidcAdapter;
  return {
    ...stores,
    oidcAdapter: (name: string): Adapter => {
      const adapter = inner(name);
      if (name !== 'Client') return adapter;
      return {
        upsert: (id, payload, expiresIn) => adapter.upsert(id, payload, expiresIn),
        find: () => Promise.reject(new Error('client lookup exploded')),
        findByUserCode: (userCode) => adapter.findByUserCode(userCode),
        findByUid: (uid) => adapter.findByUid(uid),
        consume: (id) => adapter.consume(id),
        destroy: (id) => adapter.destroy(id),
        revokeByGrantId: (grantId) => adapter.revokeByGrantId(grantId),
      };
    },
  };
}

/** A 5xx inside oidc-provider is rendered by its own error handler, and must still be logged. */
describe('errors inside oidc-provider', () => {
  const lines: LogLine[] = [];
  let running: RunningIdp;

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
        done();
      },
    });
    running = await startIdp({ kind: 'memory' }, { stores: storesFailingOnClientFind(), logger: pino({ level: 'info' }, sink) });
  });
  after(async () => {
    await running.close();
  });

  it('are logged at level error with the stack and the request id', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const page = await new Browser(running.issuer).get((await authorizationRequest(rp, CLIENTS.web)).url.href);
    assert.equal(page.status, 500);
    const requestId = page.headers.get('x-request-id');
    assert.ok(requestId);

    const errors = lines.filter((line) => line.level >= 50);
    assert.equal(errors.length, 1, JSON.stringify(lines));
    const [logged] = errors;
    assert.equal(logged?.requestId, requestId);
    assert.match(logged?.err?.stack ?? '', /client lookup exploded\n\s+at /);
  });
});
