import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDirectoryStore } from '../../adapters/memory/directory_store.ts';
import { MemoryOidcStorage } from '../../adapters/memory/oidc_adapter.ts';
import { MemoryMfaFactorStore } from '../../adapters/memory/mfa_store.ts';
import { parseEncryptionKeys } from '../../config/keys.ts';
import { SecretBox } from '../../lib/secret_box.ts';
import { verifyPassword } from '../../directory/passwords.ts';
import { withSealedClientSecrets } from '../../adapters/sealed_client_secrets.ts';
import { importSeed } from '../../seed/import.ts';
import { openClientSecret } from '../../sso/client_secret.ts';
import { parseSeed, SeedError } from '../../seed/schema.ts';

const valid = () => ({
  companies: [{ id: 'acme', name: 'Acme', emailDomains: ['acme.test'], mfa: { required: true, enforcementDate: '2026-12-01', reverify: '12h' } }],
  users: [{ email: 'a@acme.test', name: 'A', password: 'long enough', memberships: [{ company: 'acme', status: 'active', permissions: { companyAdmin: 'admin', directory: 'admin' }, payRoles: [] }] }],
  clients: [{ client_id: 'web', client_secret: '0123456789abcdef0123456789abcdef', redirect_uris: ['https://app.test/cb'], post_logout_redirect_uris: [], first_party: true }],
});

const sso = (over: Record<string, unknown> = {}) => ({ type: 'oidc', issuer: 'https://login.acme.test', clientId: 'groundwork', clientSecret: 'upstream-secret', mfa: 'idp', ...over });

type Mutation = (seed: ReturnType<typeof valid>) => unknown;

const problems: [string, Mutation, string][] = [
  ['unknown company in a membership', (s) => ((s.users[0]!.memberships[0]!.company = 'nope'), s), 'users[0].memberships[0].company: unknown company "nope"'],
  ['bad permission level', (s) => ((s.users[0]!.memberships[0]!.permissions.directory = 'owner'), s), 'users[0].memberships[0].permissions.directory'],
  ['bad email', (s) => ((s.users[0]!.email = 'nope'), s), 'users[0].email'],
  ['an email with a space', (s) => ((s.users[0]!.email = 'zoë ortiz@kestrel.example'), s), 'users[0].email: Invalid email address'],
  ['an email with a control character', (s) => ((s.users[0]!.email = 'zoë\u0007@kestrel.example'), s), 'users[0].email: Invalid email address'],
  ['an email with an invalid IDNA label', (s) => ((s.users[0]!.email = 'josé@xn--a.example'), s), 'users[0].email: Invalid email address: not a valid domain name'],
  ['an overlong email', (s) => ((s.users[0]!.email = `${'é'.repeat(33)}@acme.test`), s), 'users[0].email: Invalid email address: too long'],
  ['the same internationalized email in another case and domain form', (s) => (s.users.push({ ...s.users[0]!, email: 'josé@bücher.example' }, { ...s.users[0]!, email: 'JOSE\u0301@XN--BCHER-KVA.example' }), s), 'users[2].email: duplicate email'],
  ['a company domain that is not one', (s) => ((s.companies[0]!.emailDomains = ['acme']), s), 'companies[0].emailDomains[0]: not a domain name'],
  ['a company domain with an invalid IDNA label', (s) => ((s.companies[0]!.emailDomains = ['xn--a.example']), s), 'companies[0].emailDomains[0]: not a domain name'],
  ['duplicate email in another case', (s) => (s.users.push({ ...s.users[0]!, email: 'A@ACME.test' }), s), 'users[1].email: duplicate email'],
  ['bad enforcement date', (s) => ((s.companies[0]!.mfa.enforcementDate = '2026-13-40'), s), 'companies[0].mfa.enforcementDate'],
  ['bad reverify frequency', (s) => ((s.companies[0]!.mfa.reverify = '1y'), s), 'companies[0].mfa.reverify'],
  ['bad pay role', (s) => ((s.users[0]!.memberships[0]!.payRoles = ['boss' as never]), s), 'users[0].memberships[0].payRoles[0]'],
  ['redirect uri not a URL', (s) => ((s.clients[0]!.redirect_uris = ['cb']), s), 'clients[0].redirect_uris[0]'],
  ['client secret under 32 characters', (s) => ((s.clients[0]!.client_secret = 'x'.repeat(31)), s), 'clients[0].client_secret: at least 32 characters'],
  ['unknown auth method', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'client_secret_jwt' }), s), 'clients[0].token_endpoint_auth_method'],
  ['client_secret_post without a secret', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'client_secret_post', client_secret: undefined }), s), 'clients[0].client_secret: client_secret_post needs a client_secret'],
  ['a secret on a public client', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'none' }), s), 'clients[0].client_secret: none uses no client_secret'],
  ['a public client without PKCE', (s) => (Object.assign(s.clients[0]!, { client_secret: undefined, require_pkce: false }), s), 'clients[0].require_pkce: a public client (none) always uses PKCE'],
  ['private_key_jwt without keys', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined }), s), 'clients[0].jwks: private_key_jwt needs exactly one of jwks or jwks_uri'],
  ['private_key_jwt with a private key', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined, jwks: { keys: [{ kty: 'EC', d: 'secret' }] } }), s), 'clients[0].jwks.keys[0]: a public key only'],
  ['the admin console’s client id', (s) => ((s.clients[0]!.client_id = 'admin-console'), s), `clients[0].client_id: "admin-console" is a built-in client (the admin console, Password & Security)`],
  ['Password & Security’s client id', (s) => ((s.clients[0]!.client_id = 'account-security'), s), `clients[0].client_id: "account-security" is a built-in client`],
  ['a scope list without openid', (s) => (Object.assign(s.clients[0]!, { scope: 'email admin' }), s), 'clients[0].scope: must include openid'],
  ['an unknown scope', (s) => (Object.assign(s.clients[0]!, { scope: 'openid payroll' }), s), 'clients[0].scope: only these scopes exist'],
  ['keys on a secret client', (s) => (Object.assign(s.clients[0]!, { jwks_uri: 'https://app.test/jwks' }), s), 'clients[0].jwks_uri: keys are only for private_key_jwt'],
  ['a javascript: redirect URI', (s) => ((s.clients[0]!.redirect_uris = ['javascript:alert(1)']), s), 'clients[0].redirect_uris[0]: an absolute URI without a fragment'],
  ['a redirect URI with a fragment', (s) => ((s.clients[0]!.redirect_uris = ['https://app.test/cb#x']), s), 'clients[0].redirect_uris[0]: an absolute URI without a fragment'],
  ['a public key that is not one', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'bad', y: 'bad' }] } }), s), 'clients[0].jwks.keys[0]: not a usable public key'],
  ['a plain-http jwks_uri off this machine', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined, jwks_uri: 'http://keys.app.test/jwks' }), s), 'clients[0].jwks_uri: an https URL (http only on a loopback address)'],
  ['a jwks_uri that is not http(s)', (s) => (Object.assign(s.clients[0]!, { token_endpoint_auth_method: 'private_key_jwt', client_secret: undefined, jwks_uri: 'ftp://app.test/jwks' }), s), 'clients[0].jwks_uri'],
  ['unknown field', (s) => ({ ...s, extra: true }), '(root)'],
  ['short password', (s) => ((s.users[0]!.password = 'short'), s), 'users[0].password: at least 8 characters'],
  ['a phone for a Procore Pay payor', (s) => ((s.users[0]!.memberships[0]!.payRoles = ['payor' as never]), Object.assign(s.users[0]!, { smsPhone: '+12015550123' }), s), 'users[0].smsPhone: Procore Pay payors must use an authenticator app.'],
  ['a UK phone for a payee admin', (s) => ((s.users[0]!.memberships[0]!.payRoles = ['payee_admin' as never]), Object.assign(s.users[0]!, { smsPhone: '+447400123456' }), s), 'users[0].smsPhone: For Procore Pay, SMS verification is limited'],
  ['a phone outside the SMS countries', (s) => (Object.assign(s.users[0]!, { smsPhone: '+819012345678' }), s), 'users[0].smsPhone: SMS verification is not available'],
  ['a landline phone', (s) => (Object.assign(s.users[0]!, { smsPhone: '+442071838750' }), s), 'users[0].smsPhone: Text messages can only go to a mobile number'],
  ['an SSO issuer over plain http', (s) => (Object.assign(s.companies[0]!, { sso: sso({ issuer: 'http://login.acme.test' }) }), s), 'companies[0].sso.issuer: an https URL'],
  ['an SSO issuer on loopback http in production', (s) => (Object.assign(s.companies[0]!, { sso: sso({ issuer: 'http://127.0.0.1:9000' }) }), s), 'companies[0].sso.issuer: an https URL'],
  ['an SSO connection without an MFA mode', (s) => (Object.assign(s.companies[0]!, { sso: sso({ mfa: undefined }) }), s), 'companies[0].sso.mfa'],
  ['an SSO connection of another type', (s) => (Object.assign(s.companies[0]!, { sso: sso({ type: 'saml' }) }), s), 'companies[0].sso.type'],
  ['SSO scopes without email', (s) => (Object.assign(s.companies[0]!, { sso: sso({ scopes: ['openid'] }) }), s), 'companies[0].sso.scopes: must include "openid" and "email"'],
  ['an SSO connection without domains', (s) => (Object.assign(s.companies[0]!, { emailDomains: [], sso: sso() }), s), 'companies[0].emailDomains: a company with SSO needs'],
  ['one domain claimed by two companies with SSO', (s) => (Object.assign(s.companies[0]!, { sso: sso() }), s.companies.push({ ...s.companies[0]!, id: 'other', emailDomains: ['other.test', 'ACME.test'] }), s), 'companies[1].emailDomains[1]: "acme.test" already signs in through the SSO of company "acme"'],
];

describe('seed validation', () => {
  it('accepts the documented shape', () => {
    const seed = parseSeed(valid());
    assert.equal(seed.users[0]!.memberships[0]!.permissions.companyAdmin, 'admin');
  });

  it('accepts the shipped demo seed and the test seed', () => {
    for (const file of ['seed/demo.json', 'test/fixtures/seed.json']) {
      parseSeed(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', file), 'utf8')));
    }
  });

  for (const [name, mutate, expected] of problems) {
    it(`rejects ${name} at ${expected.split(':')[0]}`, () => {
      assert.throws(
        () => parseSeed(mutate(valid())),
        (err: unknown) => err instanceof SeedError && err.problems.some((p) => p.startsWith(expected)),
      );
    });
  }

  it('checks an imported phone against the configured SMS countries', () => {
    const seed = Object.assign(valid(), {});
    Object.assign(seed.users[0]!, { smsPhone: '+447400123456' });
    assert.equal(parseSeed(seed).users[0]!.smsPhone, '+447400123456');
    assert.throws(() => parseSeed(seed, { smsCountries: ['US'], allowLoopbackHttpIssuers: false }), (err: unknown) => err instanceof SeedError && err.problems[0]!.startsWith('users[0].smsPhone'));
  });

  it('accepts internationalized emails (RFC 6531) and stores them in NFC, as written otherwise', () => {
    const seed = valid();
    seed.users[0]!.email = 'Zoe\u0308.Ortiz@Kestrel.example';
    seed.users.push({ ...seed.users[0]!, email: 'josé@bücher.example' }, { ...seed.users[0]!, email: 'zoë@例え.テスト' });
    assert.deepEqual(
      parseSeed(seed).users.map((u) => u.email),
      ['Zoë.Ortiz@Kestrel.example', 'josé@bücher.example', 'zoë@例え.テスト'],
    );
  });

  it('takes company domains in Unicode or A-label form and keeps the A-label form for routing', () => {
    const seed = valid();
    seed.companies[0]!.emailDomains = ['Acme.test', 'bücher.example', 'XN--R8JZ45G.xn--zckzah'];
    assert.deepEqual(parseSeed(seed).companies[0]!.emailDomains, ['acme.test', 'xn--bcher-kva.example', 'xn--r8jz45g.xn--zckzah']);
  });

  it('takes an SSO issuer on loopback http outside production only, and one domain in two companies without SSO', () => {
    const seed = valid();
    Object.assign(seed.companies[0]!, { sso: sso({ issuer: 'http://127.0.0.1:9000' }) });
    seed.companies.push({ ...seed.companies[0]!, id: 'plain', sso: null } as never);
    const parsed = parseSeed(seed, { smsCountries: ['US'], allowLoopbackHttpIssuers: true });
    assert.deepEqual(parsed.companies[0]!.sso?.scopes, ['openid', 'email', 'profile']);
    assert.equal(parsed.companies[0]!.sso?.jit, false, 'unknown users are refused unless the connection says otherwise');
    assert.throws(() => parseSeed(seed), SeedError);
  });

  it('reports every problem at once', () => {
    const seed = valid();
    seed.users[0]!.email = 'bad';
    seed.clients[0]!.redirect_uris = [];
    assert.throws(() => parseSeed(seed), (err: unknown) => err instanceof SeedError && err.problems.length === 2);
  });
});

describe('sealed client secrets', () => {
  const box = new SecretBox(parseEncryptionKeys(undefined));

  it('a client stored in the clear before sealing is sealed on its first read, and still works', async () => {
    const raw = new MemoryOidcStorage().adapterFactory();
    await raw('Client').upsert('old', { client_id: 'old', client_secret: 'a-secret-from-before-sealing-0123456789' });
    const sealed = withSealedClientSecrets(raw, box)('Client');
    assert.equal((await sealed.find('old'))?.['client_secret'], 'a-secret-from-before-sealing-0123456789');
    const stored = await raw('Client').find('old');
    assert.equal(stored?.['client_secret'], undefined);
    assert.equal(typeof stored?.['client_secret_sealed'], 'string');
  });

  it('a secret sealed with a key no longer configured fails closed and says what to do', async () => {
    const raw = new MemoryOidcStorage().adapterFactory();
    await withSealedClientSecrets(raw, box)('Client').upsert('web', { client_id: 'web', client_secret: 'x'.repeat(32) });
    const otherKeys = withSealedClientSecrets(raw, new SecretBox(parseEncryptionKeys(undefined)))('Client');
    await assert.rejects(otherKeys.find('web'), /client "web" was sealed with a key not in MFA_ENCRYPTION_KEYS/);
  });
});

describe('seed import', () => {
  it('hashes passwords with argon2id and keeps user ids stable across re-imports', async () => {
    const stores = {
      directory: new MemoryDirectoryStore(),
      oidcAdapter: new MemoryOidcStorage().adapterFactory(),
      mfaFactors: new MemoryMfaFactorStore(),
      box: new SecretBox(parseEncryptionKeys(undefined)),
    };
    await importSeed(parseSeed(valid()), stores);
    const user = await stores.directory.findUserByEmail('A@acme.test');
    assert.ok(user);
    assert.ok(user?.passwordHash?.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'), 'argon2id with the OWASP parameters');
    assert.ok(!JSON.stringify(user).includes('long enough'));
    assert.equal(await verifyPassword(user.passwordHash, 'long enough'), true);
    await importSeed(parseSeed(valid()), stores);
    assert.equal((await stores.directory.findUserByEmail('a@acme.test'))?.id, user.id);
    const stored = await stores.oidcAdapter('Client').find('web');
    assert.equal(stored?.['token_endpoint_auth_method'], 'client_secret_basic');
    assert.equal(stored?.['client_secret'], undefined, 'the secret is stored sealed, under its own name');
    assert.ok(!JSON.stringify(stored).includes('0123456789abcdef0123456789abcdef'));
    assert.equal((await withSealedClientSecrets(stores.oidcAdapter, stores.box)('Client').find('web'))?.['client_secret'], '0123456789abcdef0123456789abcdef');
  });
});

describe('seed import of an SSO connection', () => {
  const stores = () => ({
    directory: new MemoryDirectoryStore(),
    oidcAdapter: new MemoryOidcStorage().adapterFactory(),
    mfaFactors: new MemoryMfaFactorStore(),
    box: new SecretBox(parseEncryptionKeys(undefined)),
  });

  it('stores the client secret sealed to the company, and routes the domains', async () => {
    const target = stores();
    const seed = valid();
    Object.assign(seed.companies[0]!, { sso: sso({ clientSecret: 'the-upstream-client-secret' }) });
    await importSeed(parseSeed(seed), target);
    const company = await target.directory.ssoCompanyForDomain('acme.test');
    assert.equal(company?.id, 'acme');
    assert.ok(company.sso && !JSON.stringify(company).includes('the-upstream-client-secret'));
    assert.equal(openClientSecret(target.box, 'acme', company.sso.sealedClientSecret), 'the-upstream-client-secret');
    assert.throws(() => openClientSecret(target.box, 'other', company.sso!.sealedClientSecret), 'bound to its company');
  });

  it('refuses a domain that a company already stored routes to its SSO, with the JSON path', async () => {
    const target = stores();
    const first = valid();
    Object.assign(first.companies[0]!, { sso: sso() });
    await importSeed(parseSeed(first), target);
    const second = valid();
    Object.assign(second.companies[0]!, { id: 'rival', sso: sso() });
    second.users = [];
    second.companies.unshift({ id: 'early', name: 'Early', emailDomains: ['early.test'] } as never);
    await assert.rejects(importSeed(parseSeed(second), target), (err: unknown) => err instanceof SeedError && err.problems[0]!.startsWith('companies[1].emailDomains: email domain acme.test'));
    assert.equal(await target.directory.findCompany('early'), undefined, 'a refused file changes nothing');
  });

  it('moves a domain from one company to another in one file, whatever their order', async () => {
    const target = stores();
    const first = valid();
    Object.assign(first.companies[0]!, { sso: sso() });
    await importSeed(parseSeed(first), target);
    const moved = valid();
    moved.users = [];
    moved.companies = [
      { id: 'heir', name: 'Heir', emailDomains: ['acme.test'], sso: sso() } as never,
      { ...moved.companies[0]!, emailDomains: ['acme-old.test'] },
    ];
    await importSeed(parseSeed(moved), target);
    assert.equal((await target.directory.ssoCompanyForDomain('acme.test'))?.id, 'heir');
  });
});

describe('seed import of internationalized addresses', () => {
  it('finds the account by any spelling of its address', async () => {
    const stores = {
      directory: new MemoryDirectoryStore(),
      oidcAdapter: new MemoryOidcStorage().adapterFactory(),
      mfaFactors: new MemoryMfaFactorStore(),
      box: new SecretBox(parseEncryptionKeys(undefined)),
    };
    const seed = valid();
    seed.users[0]!.email = 'josé@bücher.example';
    seed.companies[0]!.emailDomains = ['BÜCHER.example'];
    await importSeed(parseSeed(seed), stores);
    for (const spelling of ['JOSÉ@xn--bcher-kva.example', 'jose\u0301@BU\u0308CHER.example']) {
      assert.equal((await stores.directory.findUserByEmail(spelling))?.email, 'josé@bücher.example', spelling);
    }
    assert.deepEqual((await stores.directory.findCompany('acme'))?.emailDomains, ['xn--bcher-kva.example'], 'routing compares A-labels');
  });
});
