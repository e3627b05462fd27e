import assert from 'node:assert/strict';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { freePort } from '../helpers/redis_server.ts';

type Metadata = Record<string, unknown>;

/** Scope tokens (RFC 6749 §3.3): NQCHAR, no space, quote or backslash. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** A BCP 47 language tag, as far as the suite's CheckDiscEndpointLocalesSyntax goes. */
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;
/** Members of the private parts of RSA, EC and OKP keys, and the value of a symmetric one. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function strings(metadata: Metadata, member: string): string[] {
  const value = metadata[member];
  assert.ok(Array.isArray(value), `${member} is an array`);
  return value.map((v) => {
    assert.equal(typeof v, 'string', `${member} holds strings`);
    return String(v);
  });
}

/**
 * The Config OP plan (oidcc-config-certification-test-plan) is one module,
 * oidcc-discovery-endpoint-verification; each test below is one group of its conditions. The
 * provider runs with an https issuer, as in production behind TLS (it is served over plain HTTP
 * here, which is what a TLS-terminating proxy sends it), since the module requires https endpoints.
 */
describe('Config OP (oidcc-config-certification-test-plan)', () => {
  let running: RunningIdp;
  let issuer: string;
  let metadata: Metadata;
  let discoveryReply: Response;

  /** The provider's own URL for a published one: the same path on this plain-HTTP listener. */
  const local = (url: string): string => {
    const parsed = new URL(url);
    return `http://127.0.0.1:${running.port}${parsed.pathname}${parsed.search}`;
  };

  before(async () => {
    const port = await freePort();
    issuer = `https://127.0.0.1:${port}`;
    running = await startIdp({ kind: 'memory' }, { port, issuer });
    discoveryReply = await fetch(local(`${issuer}/.well-known/openid-configuration`));
    metadata = (await discoveryReply.clone().json()) as Metadata;
  });
  after(async () => {
    await running.close();
  });

  it('oidcc-discovery-endpoint-verification: 200 with JSON at the issuer’s /.well-known/openid-configuration, naming that issuer', () => {
    assert.equal(discoveryReply.status, 200);
    assert.match(discoveryReply.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(metadata['issuer'], issuer, 'issuer is exactly the URL discovery was fetched under');
    const parsed = new URL(issuer);
    assert.equal(parsed.protocol, 'https:');
    assert.equal(parsed.search + parsed.hash, '', 'no query or fragment (RFC 8414 §2)');
  });

  it('oidcc-discovery-endpoint-verification: response types, subject types, ID token algorithms and grant types', () => {
    assert.deepEqual(strings(metadata, 'response_types_supported'), ['code'], 'the code flow, and only it');
    for (const type of strings(metadata, 'subject_types_supported')) assert.ok(['public', 'pairwise'].includes(type), type);
    const algs = strings(metadata, 'id_token_signing_alg_values_supported');
    assert.ok(algs.includes('RS256'), 'RS256 (OIDC Discovery §3)');
    assert.ok(!algs.includes('none'));
    const grants = strings(metadata, 'grant_types_supported');
    assert.ok(grants.includes('authorization_code'));
    assert.ok(!grants.includes('implicit'), 'no implicit grant is offered');
    if (metadata['userinfo_signing_alg_values_supported'] !== undefined) assert.ok(strings(metadata, 'userinfo_signing_alg_values_supported').includes('RS256'));
  });

  it('oidcc-discovery-endpoint-verification: every endpoint and URI is https', () => {
    for (const member of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
      assert.equal(typeof metadata[member], 'string', member);
    }
    assert.equal(metadata['registration_endpoint'], undefined, 'no dynamic registration');
    const urls = Object.entries(metadata).filter(([member]) => member.endsWith('_endpoint') || member.endsWith('_uri'));
    for (const [member, url] of urls) assert.ok(String(url).startsWith(`${issuer}/`), `${member}: ${String(url)}`);
  });

  it('oidcc-discovery-endpoint-verification: the JWKS holds public signing keys only, each with a unique kid', async () => {
    const res = await fetch(local(String(metadata['jwks_uri'])));
    assert.equal(res.status, 200);
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    assert.ok(keys.length > 0);
    const kids = keys.map((key) => key['kid']);
    assert.equal(new Set(kids).size, keys.length, 'kids are unique');
    for (const key of keys) {
      assert.equal(typeof key['kid'], 'string');
      assert.notEqual(key['kty'], 'oct', 'no symmetric key');
      for (const member of PRIVATE_MEMBERS) assert.equal(key[member], undefined, `no private member ${member}`);
      if (key['use'] !== undefined) assert.equal(key['use'], 'sig');
    }
    assert.ok(keys.some((key) => key['kty'] === 'RSA'), 'an RSA key for RS256');
  });

  it('oidcc-discovery-endpoint-verification: request objects are not claimed, the claims parameter is', () => {
    assert.notEqual(metadata['request_parameter_supported'], true, 'the provider answers request_not_supported');
    assert.notEqual(metadata['request_uri_parameter_supported'], true, 'and request_uri_not_supported');
    assert.equal(metadata['request_object_signing_alg_values_supported'], undefined);
    assert.equal(metadata['claims_parameter_supported'], true);
    const claims = strings(metadata, 'claims_supported');
    for (const claim of ['sub', 'iss', 'auth_time', 'acr', 'amr', 'email', 'email_verified', 'name', 'given_name', 'family_name']) {
      assert.ok(claims.includes(claim), claim);
    }
  });

  it('oidcc-discovery-endpoint-verification: scopes include openid and are valid scope tokens', () => {
    const scopes = strings(metadata, 'scopes_supported');
    assert.ok(scopes.includes('openid'));
    for (const scope of scopes) assert.match(scope, SCOPE_TOKEN);
  });

  it('oidcc-discovery-endpoint-verification: locales are BCP 47 tags, and ui_locales_supported is left out until the UI is translated', () => {
    assert.equal(metadata['ui_locales_supported'], undefined, 'ui_locales is accepted but ignored, so it is not advertised');
    if (metadata['claims_locales_supported'] !== undefined) {
      for (const tag of strings(metadata, 'claims_locales_supported')) assert.match(tag, LANGUAGE_TAG);
    }
  });

  it('oidcc-discovery-endpoint-verification: code_challenge_methods_supported is an array, S256 only', () => {
    assert.deepEqual(strings(metadata, 'code_challenge_methods_supported'), ['S256']);
  });

  it('oidcc-discovery-endpoint-verification: token endpoint authentication lists every method a client may register', () => {
    const methods = strings(metadata, 'token_endpoint_auth_methods_supported');
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']) assert.ok(methods.includes(method), method);
    // OIDC Discovery §3: with private_key_jwt, the signing algorithms accepted; never none, nor a shared-secret MAC.
    const algs = strings(metadata, 'token_endpoint_auth_signing_alg_values_supported');
    assert.ok(algs.length > 0);
    for (const alg of algs) assert.ok(alg !== 'none' && !alg.startsWith('HS'), alg);
  });

  it('oidcc-discovery-endpoint-verification: iss in authorization responses (RFC 9207) and the response modes the plans use', () => {
    assert.equal(metadata['authorization_response_iss_parameter_supported'], true);
    const modes = strings(metadata, 'response_modes_supported');
    assert.ok(modes.includes('query') && modes.includes('form_post'));
  });
});
