import assert from 'node:assert/strict';
import type { webcrypto } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Stores } from '../../adapters/stores.ts';
import { Browser } from '../helpers/browser.ts';
import { loginToCallback } from '../helpers/flows.ts';
import { makeStores, startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { openRedis } from '../helpers/redis_access.ts';
import { oidc } from '../helpers/rp.ts';

/** Fixture clients of test/fixtures/seed.json, one per registered authentication method. */
const POST = { id: 'post', secret: 'post-secret-0123456789-abcdefghijklm', redirectUri: 'http://127.0.0.1:1/post/cb' };
const BASIC = { id: 'web', secret: 'web-secret-0123456789-abcdefghijkl', redirectUri: 'http://127.0.0.1:1/cb' };
const SIGNED = { id: 'signed', redirectUri: 'http://127.0.0.1:1/signed/cb' };
const LEGACY = { id: 'legacy', secret: 'legacy-secret-0123456789-abcdefghij', redirectUri: 'http://127.0.0.1:1/legacy/cb' };
const SPA = { id: 'spa', redirectUri: 'http://127.0.0.1:1/spa/cb' };
/** The private half of the key registered for `signed` (a test key, nothing else trusts it). */
const SIGNED_PRIVATE_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'pVfrEMlpLuAnmLHUdn-CpR9DKtvpAUyBsC6kWfdGDcc',
  y: '4-Au7U-VvjY95IqDlnK-cUA-WFVPq7ZG26K3Su5twME',
  d: '6NRHw1Z68WHL-3VzNAQB-swW3tGSV34doMs7vTyh_Ic',
} as const;

interface LogLine {
  msg?: string;
  clientId?: string;
  reason?: string;
  endpoint?: string;
}

/**
 * Each registered client authentication method works with a real relying-party library, a
 * mismatch is refused with the reason logged for the operator, PKCE is required unless a
 * confidential client opted out, and no client secret is stored in the clear.
 */
export function clientAuthSuite(backend: () => Backend): void {
  let running: RunningIdp;
  let stores: Stores;
  let current: Backend;
  let logText: string;
  let lines: LogLine[];

  beforeEach(async () => {
    lines = [];
    logText = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logText += chunk.toString('utf8');
        lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
        done();
      },
    });
    current = backend();
    stores = await makeStores(current);
    running = await startIdp(current, { stores, logger: pino({ level: 'info' }, sink) });
  });
  afterEach(async () => {
    await running.close();
    await stores.close();
  });

  function discover(clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
    return oidc.discovery(new URL(running.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  }

  /** Logs bob in through `config` and exchanges the code; `pkce: false` leaves PKCE out entirely. */
  async function loginAndExchange(config: oidc.Configuration, redirectUri: string, pkce = true): Promise<oidc.TokenEndpointResponse> {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email',
      state,
      ...(pkce ? { code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' } : {}),
    });
    const callback = await loginToCallback(new Browser(running.issuer), url, 'bob@acme.test', 'bob-password-12');
    return oidc.authorizationCodeGrant(config, new URL(callback), { expectedState: state, ...(pkce ? { pkceCodeVerifier: verifier } : {}) });
  }

  async function tokenStatus(headers: Record<string, string>, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(new URL('/token', running.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('discovery advertises every registered method and PKCE S256 only', async () => {
    const metadata = (await (await fetch(new URL('/.well-known/openid-configuration', running.issuer))).json()) as Record<string, unknown>;
    assert.deepEqual(new Set(metadata['token_endpoint_auth_methods_supported'] as string[]), new Set(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']));
    assert.deepEqual(metadata['code_challenge_methods_supported'], ['S256']);
  });

  it('client_secret_post: the secret in the body logs in', async () => {
    const tokens = await loginAndExchange(await discover(POST.id, oidc.ClientSecretPost(POST.secret)), POST.redirectUri);
    assert.ok(tokens.id_token);
  });

  it('client_secret_basic still works, and the secret is compared after it was stored sealed', async () => {
    const tokens = await loginAndExchange(await discover(BASIC.id, oidc.ClientSecretBasic(BASIC.secret)), BASIC.redirectUri);
    assert.ok(tokens.access_token);
  });

  it('private_key_jwt: a signed client assertion logs in', async () => {
    const key = await crypto.subtle.importKey('jwk', SIGNED_PRIVATE_JWK, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    const tokens = await loginAndExchange(await discover(SIGNED.id, oidc.PrivateKeyJwt({ key, kid: 'signed-1' })), SIGNED.redirectUri);
    assert.ok(tokens.id_token);
  });

  it('a secret client may send its secret in the body or in Basic: oidc-provider treats the two as one', async () => {
    const tokens = await loginAndExchange(await discover(BASIC.id, oidc.ClientSecretPost(BASIC.secret)), BASIC.redirectUri);
    assert.ok(tokens.id_token);
  });

  it('private_key_jwt: one assertion sent in parallel authenticates at most once', async () => {
    const key = await crypto.subtle.importKey('jwk', SIGNED_PRIVATE_JWK, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    // A few rounds: the first request of a run also loads the client, which can serialize that round.
    for (let round = 0; round < 4; round++) {
      const assertion = await signedAssertion(key, running.issuer);
      const form = { grant_type: 'refresh_token', refresh_token: 'not-a-token', client_id: SIGNED.id, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion };
      const replies = await Promise.all(Array.from({ length: 8 }, () => tokenStatus({}, form)));
      // Past client authentication the made-up token fails with invalid_grant; a replay stops at invalid_client.
      const errors = replies.map((r) => String(r.body['error']));
      assert.equal(errors.filter((e) => e === 'invalid_grant').length, 1, `round ${round}: ${errors.join(',')}`);
      assert.ok(replies.filter((r) => r.body['error'] !== 'invalid_grant').every((r) => r.status === 401 && r.body['error'] === 'invalid_client'));
    }
  });

  it('the wrong method is refused with the usual answer, and the log says why with the client id and no secret', async () => {
    // A confidential client configured as if it were public: client_id only, no secret.
    const reply = await tokenStatus({}, { grant_type: 'authorization_code', code: 'x', redirect_uri: BASIC.redirectUri, client_id: BASIC.id });
    assert.deepEqual({ status: reply.status, ...reply.body }, { status: 401, error: 'invalid_client', error_description: 'client authentication failed' }, 'the client learns nothing more');
    const line = lines.find((l) => l.msg === 'client authentication failed');
    assert.deepEqual(
      { clientId: line?.clientId, reason: line?.reason, endpoint: line?.endpoint },
      { clientId: 'web', reason: 'the provided authentication mechanism does not match the registered client authentication method', endpoint: 'token' },
    );
  });

  it('a wrong secret sent with Basic is logged with the client id from the header, never the secret', async () => {
    const wrong = 'not-the-secret-but-still-a-secret-0123';
    const reply = await tokenStatus({ authorization: `Basic ${Buffer.from(`${POST.id}:${wrong}`).toString('base64')}` }, { grant_type: 'refresh_token', refresh_token: 'x' });
    assert.equal(reply.status, 401);
    const line = lines.find((l) => l.msg === 'client authentication failed');
    assert.equal(line?.clientId, POST.id);
    assert.equal(line?.reason, 'invalid secret provided');
    assert.ok(!logText.includes(wrong));
  });

  it('PKCE is required by default: a confidential client without it is refused at the authorization endpoint', async () => {
    const config = await discover(BASIC.id, oidc.ClientSecretBasic(BASIC.secret));
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: BASIC.redirectUri, scope: 'openid', state: 'abc' });
    const page = await new Browser(running.issuer).get(url.href);
    assert.equal(page.status, 303);
    const error = new URL(page.location ?? '').searchParams;
    assert.equal(error.get('error'), 'invalid_request');
    assert.match(error.get('error_description') ?? '', /PKCE/);
  });

  it('require_pkce: false lets a confidential legacy client log in without PKCE', async () => {
    const tokens = await loginAndExchange(await discover(LEGACY.id, oidc.ClientSecretBasic(LEGACY.secret)), LEGACY.redirectUri, false);
    assert.ok(tokens.id_token);
  });

  it('a public client always needs PKCE', async () => {
    const config = await discover(SPA.id, oidc.None());
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: SPA.redirectUri, scope: 'openid', state: 'abc' });
    const page = await new Browser(running.issuer).get(url.href);
    assert.equal(new URL(page.location ?? '').searchParams.get('error'), 'invalid_request');
  });

  it('no client secret is stored in the clear', async () => {
    const stored = await rawStoreText(current, stores);
    assert.ok(stored.includes('client_secret_sealed'), 'the clients were read');
    for (const secret of [BASIC.secret, POST.secret, LEGACY.secret]) assert.ok(!stored.includes(secret), `${secret} is stored in the clear`);
  });
}

/** Everything the backend holds about the fixture clients, as text. */
async function rawStoreText(backend: Backend, stores: Stores): Promise<string> {
  if (backend.kind === 'memory') {
    const clients = await Promise.all(['web', 'post', 'legacy'].map((id) => stores.oidcAdapter('Client').find(id)));
    return JSON.stringify(clients);
  }
  const redis = await openRedis(backend.topology);
  try {
    const values: string[] = [];
    for (const key of await redis.keys(`${backend.prefix}*`)) {
      const type = await redis.type(key);
      if (type === 'string') values.push((await redis.get(key)) ?? '');
      if (type === 'hash') values.push(JSON.stringify(await redis.hGetAll(key)));
    }
    return values.join('\n');
  } finally {
    redis.destroy();
  }
}

/** A client assertion (RFC 7523) for `signed`, signed with its private key, as a library would make it. */
async function signedAssertion(key: webcrypto.CryptoKey, issuer: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url');
  const input = `${encode({ alg: 'ES256', kid: 'signed-1' })}.${encode({ iss: SIGNED.id, sub: SIGNED.id, aud: issuer, jti: crypto.randomUUID(), iat: now, exp: now + 60 })}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, Buffer.from(input));
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}
