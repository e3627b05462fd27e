import assert from 'node:assert/strict';
import type { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser } from '../helpers/browser.ts';
import { loginToCallback } from '../helpers/flows.ts';
import { startIdp, TEST_SEED, type RunningIdp } from '../helpers/idp.ts';
import { oidc } from '../helpers/rp.ts';

const REDIRECT_URI = 'http://127.0.0.1:1/keyed/cb';

/** private_key_jwt with keys the client publishes at its own jwks_uri, fetched by the provider. */
describe('private_key_jwt with a jwks_uri', () => {
  let keys: Server;
  let running: RunningIdp;
  let privateKey: webcrypto.CryptoKey;
  let fetches = 0;

  before(async () => {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    privateKey = pair.privateKey;
    const publicJwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'keyed-1', alg: 'ES256', use: 'sig' };
    keys = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    }).listen(0, '127.0.0.1');
    await once(keys, 'listening');
    const address = keys.address();
    assert.ok(address && typeof address === 'object');

    const seed = JSON.parse(await readFile(TEST_SEED, 'utf8')) as { clients: unknown[] };
    seed.clients.push({
      client_id: 'keyed',
      redirect_uris: [REDIRECT_URI],
      first_party: true,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: `http://127.0.0.1:${address.port}/jwks.json`,
    });
    const file = join(await mkdtemp(join(tmpdir(), 'seed-')), 'seed.json');
    await writeFile(file, JSON.stringify(seed));
    running = await startIdp({ kind: 'memory' }, { env: { SEED_FILE: file } });
  });
  after(async () => {
    await running.close();
    keys.close();
  });

  it('logs in with an assertion signed by a key from the jwks_uri', async () => {
    const config = await oidc.discovery(new URL(running.issuer), 'keyed', undefined, oidc.PrivateKeyJwt({ key: privateKey, kid: 'keyed-1' }), {
      execute: [oidc.allowInsecureRequests],
    });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 'keyed-state',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await loginToCallback(new Browser(running.issuer), url, 'bob@acme.test', 'bob-password-12');
    const tokens = await oidc.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: 'keyed-state' });
    assert.ok(tokens.id_token);
    assert.ok(fetches > 0, 'the provider fetched the client keys');
  });
});
