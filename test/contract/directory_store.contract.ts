import assert from 'node:assert/strict';
import { DomainClaimedError, EmailInUseError, type DirectoryStore } from '../../directory/store.ts';
import type { Company, Membership, User } from '../../directory/types.ts';

export const company = (id: string): Company => ({
  id,
  name: `Company ${id}`,
  emailDomains: [`${id}.test`],
  timeZone: 'UTC',
  mfa: { required: true, enforcementDate: '2026-12-01', reverify: '12h' },
  sso: null,
});

export const user = (id: string, email: string): User => ({
  id,
  email,
  emailVerified: true,
  name: `User ${id}`,
  givenName: undefined,
  familyName: undefined,
  passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
  status: 'active',
});

export const withSso = (base: Company, domains: string[]): Company => ({
  ...base,
  emailDomains: domains,
  sso: {
    type: 'oidc',
    issuer: 'https://login.example.test',
    clientId: 'groundwork',
    sealedClientSecret: 'v1.k.iv.ct.tag',
    scopes: ['openid', 'email'],
    mfa: 'idp',
    jit: false,
    mfaAcrValues: [],
  },
});

const membership = (userId: string, companyId: string, status: Membership['status'] = 'active'): Membership => ({
  userId,
  companyId,
  status,
  permissions: { companyAdmin: 'none', directory: 'read_only' },
  payRoles: [],
});

/** What every DirectoryStore must do. Run against each implementation. */
export function directoryStoreContract(makeStore: () => Promise<DirectoryStore> | DirectoryStore): void {
  let store: DirectoryStore;
  beforeEach(async () => {
    store = await makeStore();
  });

  it('stores and returns companies', async () => {
    await store.saveCompany(company('acme'));
    assert.deepEqual(await store.findCompany('acme'), company('acme'));
    assert.equal(await store.findCompany('missing'), undefined);
    await store.saveCompany(company('bayside'));
    await store.saveCompany(company('acme'));
    assert.deepEqual((await store.companyIds()).sort(), ['acme', 'bayside'], 'each company once');
  });

  it('finds users by id and by email in any case, keeping the spelling entered', async () => {
    await store.saveUser(user('u1', 'Mixed.Case@Example.TEST'));
    assert.equal((await store.findUser('u1'))?.email, 'Mixed.Case@Example.TEST');
    assert.equal((await store.findUserByEmail('mixed.case@example.test'))?.id, 'u1');
    assert.equal((await store.findUserByEmail('  MIXED.CASE@EXAMPLE.TEST '))?.id, 'u1');
    assert.equal(await store.findUserByEmail('other@example.test'), undefined);
  });

  it('refuses a second user with the same email in another case', async () => {
    await store.saveUser(user('u1', 'one@example.test'));
    await assert.rejects(store.saveUser(user('u2', 'ONE@example.test')), EmailInUseError);
    assert.equal(await store.findUser('u2'), undefined);
  });

  it('finds an internationalized address by any case, normalization and domain form, and holds it once', async () => {
    await store.saveUser(user('u1', 'José@Bücher.example'));
    for (const spelling of ['josé@bücher.example', 'JOSE\u0301@BU\u0308CHER.EXAMPLE', 'josé@xn--bcher-kva.example', 'JOSÉ@XN--BCHER-KVA.example']) {
      assert.equal((await store.findUserByEmail(spelling))?.id, 'u1', spelling);
    }
    assert.equal(await store.findUserByEmail('jose@bucher.example'), undefined);
    await assert.rejects(store.saveUser(user('u2', 'josé@xn--bcher-kva.example')), EmailInUseError);
  });

  it('moves the email index when a user changes address', async () => {
    await store.saveUser(user('u1', 'old@example.test'));
    await store.saveUser(user('u1', 'new@example.test'));
    assert.equal(await store.findUserByEmail('old@example.test'), undefined);
    assert.equal((await store.findUserByEmail('new@example.test'))?.id, 'u1');
    await store.saveUser(user('u2', 'old@example.test'));
    assert.equal((await store.findUserByEmail('old@example.test'))?.id, 'u2');
  });

  it('keeps memberships per user and per company, replacing on save', async () => {
    await store.saveMembership(membership('u1', 'acme'));
    await store.saveMembership(membership('u1', 'bayside', 'inactive'));
    await store.saveMembership(membership('u2', 'acme'));
    await store.saveMembership({ ...membership('u1', 'acme'), status: 'inactive' });
    const ofUser = (await store.membershipsOfUser('u1')).sort((a, b) => a.companyId.localeCompare(b.companyId));
    assert.deepEqual(ofUser.map((m) => [m.companyId, m.status]), [['acme', 'inactive'], ['bayside', 'inactive']]);
    const members = (await store.membersOfCompany('acme')).map((m) => m.userId).sort();
    assert.deepEqual(members, ['u1', 'u2']);
    assert.deepEqual(await store.membershipsOfUser('nobody'), []);
  });

  it('returns copies: changing a result does not change the store', async () => {
    await store.saveUser(user('u1', 'copy@example.test'));
    const found = await store.findUser('u1');
    assert.ok(found);
    found.name = 'changed';
    assert.equal((await store.findUser('u1'))?.name, 'User u1');
  });

  it('routes the email domains of a company with SSO to it, and follows changes', async () => {
    await store.saveCompany(withSso(company('acme'), ['acme.test', 'acme-corp.test']));
    await store.saveCompany(company('plain'));
    assert.equal((await store.ssoCompanyForDomain('acme-corp.test'))?.id, 'acme');
    assert.equal(await store.ssoCompanyForDomain('plain.test'), undefined, 'a company without SSO routes nothing');
    await store.saveCompany(withSso(company('acme'), ['acme.test']));
    assert.equal(await store.ssoCompanyForDomain('acme-corp.test'), undefined, 'a domain taken off is released');
    await store.saveCompany(company('acme'));
    assert.equal(await store.ssoCompanyForDomain('acme.test'), undefined, 'SSO turned off releases every domain');
  });

  it('refuses a domain that another company logs in through SSO, changing nothing', async () => {
    await store.saveCompany(withSso(company('acme'), ['shared.test']));
    await assert.rejects(store.saveCompany(withSso(company('bayside'), ['bayside.test', 'shared.test'])), DomainClaimedError);
    assert.equal(await store.findCompany('bayside'), undefined);
    assert.equal(await store.ssoCompanyForDomain('bayside.test'), undefined);
    assert.equal((await store.ssoCompanyForDomain('shared.test'))?.id, 'acme');
    // Without SSO, two companies may list one domain (membership checks only).
    await store.saveCompany({ ...company('bayside'), emailDomains: ['shared.test'] });
    assert.equal((await store.ssoCompanyForDomain('shared.test'))?.id, 'acme');
  });

  it('links an upstream account to one user: the first link wins', async () => {
    const subject = { companyId: 'acme', issuer: 'https://login.acme.test', subject: 'abc' };
    assert.equal(await store.findFederatedUser(subject), undefined);
    assert.equal(await store.linkFederatedUser(subject, 'u1'), 'u1');
    assert.equal(await store.linkFederatedUser(subject, 'u2'), 'u1');
    assert.equal(await store.findFederatedUser(subject), 'u1');
    assert.equal(await store.findFederatedUser({ ...subject, issuer: 'https://other.test' }), undefined, 'another issuer is another account');
    assert.equal(await store.findFederatedUser({ ...subject, companyId: 'bayside' }), undefined, 'another company is another connection');
  });
}
