import assert from 'node:assert/strict';
import { errors } from 'oidc-provider';
import { ClientOfflineError } from 'redis';
import { parseEmailAddress, type EmailAddress } from '../../directory/email_address.ts';
import { loginRouteFor } from '../../directory/login_route.ts';
import { MemoryDirectoryStore } from '../../adapters/memory/directory_store.ts';
import { company, withSso } from '../contract/directory_store.contract.ts';
import { verifyPassword, hashPassword } from '../../directory/passwords.ts';
import { consentScreenNeeded, missingGrants } from '../../interactions/consent/consent.ts';
import { errorPageFor } from '../../interactions/middleware/error_pages.ts';
import { pkceRequired, toClientMetadata, type ClientRegistration } from '../../provider/clients.ts';

describe('where an email logs in', () => {
  const parsed = (input: string): EmailAddress => {
    const result = parseEmailAddress(input);
    assert.ok(result.ok);
    return result.email;
  };
  const directory = new MemoryDirectoryStore();
  before(async () => {
    await directory.saveCompany(withSso(company('corp'), ['corp.test', 'xn--bcher-kva.example']));
    await directory.saveCompany(company('acme'));
  });
  const rows: [string, 'password' | 'sso'][] = [
    ['alice@acme.test', 'password'],
    ['nobody@unknown.test', 'password'],
    ['someone.new@corp.test', 'sso'],
    ['Someone@CORP.test', 'sso'],
    ['josé@bücher.example', 'sso'],
    ['jose@xn--bcher-kva.example', 'sso'],
    ['someone@sub.corp.test', 'password'],
  ];
  for (const [email, method] of rows) {
    it(`${email} → ${method} (known or not: the domain decides)`, async () => {
      const route = await loginRouteFor(directory, parsed(email));
      assert.equal(route.method, method);
      if (route.method === 'sso') assert.equal(route.company.id, 'corp');
    });
  }
});

describe('consent', () => {
  const cases: [Record<string, unknown>, boolean][] = [
    [toClientMetadata({ client_id: 'a', redirect_uris: ['https://a.test/cb'], first_party: true }), false],
    [toClientMetadata({ client_id: 'b', redirect_uris: ['https://b.test/cb'], first_party: false }), true],
    [toClientMetadata({ client_id: 'c', redirect_uris: ['https://c.test/cb'] }), true],
    [{ first_party: 'true' }, true],
  ];
  for (const [metadata, needed] of cases) {
    it(`first_party=${JSON.stringify(metadata['first_party'])} → screen ${needed ? 'shown' : 'skipped'}`, () => {
      assert.equal(consentScreenNeeded(metadata), needed);
    });
  }
  it('reads what the consent prompt says is missing', () => {
    assert.deepEqual(missingGrants({ missingOIDCScope: ['openid', 'email'], missingOIDCClaims: ['email'], missingResourceScopes: { 'https://api': ['read'] } }), {
      scopes: ['openid', 'email'],
      claims: ['email'],
      resourceScopes: { 'https://api': ['read'] },
    });
    assert.deepEqual(missingGrants({}), { scopes: [], claims: [], resourceScopes: {} });
  });
});

describe('client registration', () => {
  const secret = 's'.repeat(32);
  const cases: [string, ClientRegistration, { method: string; secret: boolean; requirePkce: boolean }][] = [
    ['a secret: client_secret_basic', { client_id: 'a', client_secret: secret, redirect_uris: ['https://a/cb'] }, { method: 'client_secret_basic', secret: true, requirePkce: true }],
    ['no secret: none', { client_id: 'b', redirect_uris: ['https://b/cb'] }, { method: 'none', secret: false, requirePkce: true }],
    ['client_secret_post', { client_id: 'c', client_secret: secret, token_endpoint_auth_method: 'client_secret_post', redirect_uris: ['https://c/cb'] }, { method: 'client_secret_post', secret: true, requirePkce: true }],
    ['private_key_jwt keeps no secret', { client_id: 'd', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://d/jwks', redirect_uris: ['https://d/cb'] }, { method: 'private_key_jwt', secret: false, requirePkce: true }],
    ['the legacy switch on a confidential client', { client_id: 'e', client_secret: secret, require_pkce: false, redirect_uris: ['https://e/cb'] }, { method: 'client_secret_basic', secret: true, requirePkce: false }],
    ['the legacy switch ignored on a public client', { client_id: 'f', require_pkce: false, redirect_uris: ['https://f/cb'] }, { method: 'none', secret: false, requirePkce: true }],
  ];
  for (const [name, registration, expected] of cases) {
    it(name, () => {
      const metadata = toClientMetadata(registration);
      const client = { clientAuthMethod: metadata.token_endpoint_auth_method, metadata: () => metadata };
      assert.deepEqual(
        { method: metadata.token_endpoint_auth_method, secret: 'client_secret' in metadata, requirePkce: pkceRequired(client) },
        expected,
      );
    });
  }
});

describe('error pages', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['store offline', new ClientOfflineError(), 503, /Temporarily unavailable/],
    ['expired interaction', new errors.SessionNotFound('gone'), 400, /expired/],
    ['payload too large', Object.assign(new Error('request entity too large'), { status: 413, expose: true }), 413, /Too much data/],
    ['a bug', new TypeError('x is undefined'), 500, /Something went wrong/],
  ];
  for (const [name, err, status, title] of cases) {
    it(`${name} → ${status}`, () => {
      const page = errorPageFor(err);
      assert.equal(page.status, status);
      assert.match(page.title, title);
    });
  }
  it('never shows an internal message', () => {
    assert.doesNotMatch(errorPageFor(new TypeError('secret detail')).message, /secret detail/);
  });
});

describe('passwords', () => {
  it('verifies with argon2id and refuses without a stored hash', async () => {
    const hash = await hashPassword('pässwörd');
    assert.match(hash, /^\$argon2id\$/);
    assert.equal(await verifyPassword(hash, 'pässwörd'), true);
    assert.equal(await verifyPassword(hash, 'passwort'), false);
    assert.equal(await verifyPassword(undefined, 'pässwörd'), false);
    assert.equal(await verifyPassword('not-a-hash', 'x'), false);
  });
});
