import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Browser } from '../helpers/browser.ts';
import { openAuthorization } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { freePort } from '../helpers/redis_server.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';

interface Reply {
  status: number;
  body: string;
}

/** A raw HTTP GET: `target` may be a path or an absolute URL (the absolute-form request target). */
function rawGet(port: number, target: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const DISCOVERY = '/.well-known/openid-configuration';

function jwksUri(reply: Reply): unknown {
  assert.equal(reply.status, 200, reply.body.slice(0, 200));
  return (JSON.parse(reply.body) as { jwks_uri?: unknown }).jwks_uri;
}

/** The public URL is configuration (ISSUER), never what a request's headers claim. */
describe('host check', () => {
  describe('without a trusted proxy', () => {
    let running: RunningIdp;
    let host: string;
    before(async () => {
      running = await startIdp({ kind: 'memory' });
      host = new URL(running.issuer).host;
    });
    after(async () => {
      await running.close();
    });

    it('discovery answers with the issuer origin for the issuer host', async () => {
      assert.equal(jwksUri(await rawGet(running.port, DISCOVERY, { host })), `${running.issuer}/jwks`);
    });

    it('a foreign Host header is refused with 421, before anything else runs', async () => {
      const reply = await rawGet(running.port, DISCOVERY, { host: 'evil.example' });
      assert.equal(reply.status, 421);
      assert.doesNotMatch(reply.body, /evil\.example/);
    });

    it('an absolute-form request target naming another host is refused', async () => {
      const reply = await rawGet(running.port, `http://evil.example${DISCOVERY}`, { host });
      assert.equal(reply.status, 421);
      assert.doesNotMatch(reply.body, /evil\.example/);
    });

    it('X-Forwarded-Host is ignored when the proxy is not trusted', async () => {
      assert.equal(jwksUri(await rawGet(running.port, DISCOVERY, { host, 'x-forwarded-host': 'evil.example' })), `${running.issuer}/jwks`);
    });

    it('the password step cannot be sent to another host', async () => {
      const rp = await relyingParty(running.issuer, CLIENTS.web);
      const browser = new Browser(running.issuer);
      const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
      const forged = new Browser(running.issuer, 'evil.example');
      forged.headers['cookie'] = browser.cookieHeader(`/interaction/${uid}/password`);
      const page = await forged.post(`/interaction/${uid}/password`, { email: 'alice@acme.test', password: 'alice-password-1' });
      assert.equal(page.status, 421);
      assert.equal(page.location, undefined);
    });

    it('/healthz and /readyz answer load balancer probes that use the pod address', async () => {
      for (const path of ['/healthz', '/readyz']) {
        assert.equal((await rawGet(running.port, path, { host: '10.1.2.3:3000' })).status, 200, path);
      }
    });
  });

  describe('behind a trusted proxy', () => {
    let running: RunningIdp;
    let host: string;
    before(async () => {
      running = await startIdp({ kind: 'memory' }, { env: { TRUST_PROXY: 'true' } });
      host = new URL(running.issuer).host;
    });
    after(async () => {
      await running.close();
    });

    it('a forged X-Forwarded-Host is refused', async () => {
      const reply = await rawGet(running.port, DISCOVERY, { host, 'x-forwarded-host': 'evil.example' });
      assert.equal(reply.status, 421);
      assert.doesNotMatch(reply.body, /evil\.example/);
    });

    it('the issuer host forwarded by the proxy is served', async () => {
      assert.equal(jwksUri(await rawGet(running.port, DISCOVERY, { host: 'idp-internal:3000', 'x-forwarded-host': host })), `${running.issuer}/jwks`);
    });
  });

  it('an https issuer served over plain HTTP still publishes https endpoints', async () => {
    const port = await freePort();
    const running = await startIdp({ kind: 'memory' }, { port, issuer: `https://127.0.0.1:${port}` });
    try {
      assert.equal(jwksUri(await rawGet(running.port, DISCOVERY, { host: `127.0.0.1:${port}` })), `https://127.0.0.1:${port}/jwks`);
    } finally {
      await running.close();
    }
  });
});
