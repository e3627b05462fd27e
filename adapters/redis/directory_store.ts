import { createHash } from 'node:crypto';
import { DomainClaimedError, EmailInUseError, type DirectoryStore } from '../../directory/store.ts';
import { emailLookupKey } from '../../directory/email_address.ts';
import type { Company, FederatedSubject, Membership, User } from '../../directory/types.ts';
import type { RedisClient } from './client.ts';
import { companyRecord, membershipRecord, parseJsonRecord, userRecord } from '../records.ts';

/** Sets an index key to `id` unless it already points to another record. One key, so cluster-safe. */
const CLAIM_INDEX = `
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

/** Deletes the key only if it still holds the expected value. */
const DELETE_IF_EQUAL = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The directory in Redis. Key layout (every command touches one key, so it works on Redis Cluster;
 * a user's record and memberships share a hash tag):
 *   {prefix}dir:{c:<id>}:company          JSON
 *   {prefix}dir:companies                 SET of company ids
 *   {prefix}dir:{c:<id>}:members          SET of user ids
 *   {prefix}dir:{u:<id>}:user             JSON
 *   {prefix}dir:{u:<id>}:memberships      HASH companyId → JSON
 *   {prefix}dir:email:<emailLookupKey>    user id
 *   {prefix}dir:sso-domain:<domain>        id of the company whose SSO logs the domain in
 *   {prefix}dir:{c:<id>}:fed:<hash>        user id of an upstream account (hash of issuer and sub,
 *                                           so the key's length is bounded and it names no person)
 */
export class RedisDirectoryStore implements DirectoryStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}dir:`;
  }

  async saveCompany(company: Company): Promise<void> {
    const previous = await this.findCompany(company.id);
    const domains = company.sso ? company.emailDomains : [];
    const held = new Set(previous?.sso ? previous.emailDomains : []);
    const claimedNow: string[] = [];
    for (const domain of domains) {
      const claimed = await this.#redis.eval(CLAIM_INDEX, { keys: [this.#ssoDomainKey(domain)], arguments: [company.id] });
      if (claimed !== 1) {
        // Give back what this call took, so a refused save changes nothing.
        await this.#releaseDomains(claimedNow.filter((d) => !held.has(d)), company.id);
        throw new DomainClaimedError(domain);
      }
      claimedNow.push(domain);
    }
    await this.#redis.set(this.#companyKey(company.id), JSON.stringify(company));
    await this.#redis.sAdd(`${this.#prefix}companies`, company.id);
    await this.#releaseDomains([...held].filter((d) => !domains.includes(d)), company.id);
  }

  companyIds(): Promise<string[]> {
    return this.#redis.sMembers(`${this.#prefix}companies`);
  }

  async ssoCompanyForDomain(domain: string): Promise<Company | undefined> {
    const id = await this.#redis.get(this.#ssoDomainKey(domain));
    if (id === null) return undefined;
    const company = await this.findCompany(id);
    // The index is written before the record: trust it only when the record agrees.
    return company?.sso && company.emailDomains.includes(domain) ? company : undefined;
  }

  async findFederatedUser(subject: FederatedSubject): Promise<string | undefined> {
    return (await this.#redis.get(this.#federatedKey(subject))) ?? undefined;
  }

  async linkFederatedUser(subject: FederatedSubject, userId: string): Promise<string> {
    const key = this.#federatedKey(subject);
    await this.#redis.set(key, userId, { condition: 'NX' });
    return (await this.#redis.get(key)) ?? userId;
  }

  async #releaseDomains(domains: readonly string[], companyId: string): Promise<void> {
    await Promise.all(domains.map((d) => this.#redis.eval(DELETE_IF_EQUAL, { keys: [this.#ssoDomainKey(d)], arguments: [companyId] })));
  }

  async findCompany(id: string): Promise<Company | undefined> {
    const json = await this.#redis.get(this.#companyKey(id));
    return json === null ? undefined : parseJsonRecord(companyRecord, json, 'directory company');
  }

  async saveUser(user: User): Promise<void> {
    const emailKey = this.#emailKey(user.email);
    const claimed = await this.#redis.eval(CLAIM_INDEX, { keys: [emailKey], arguments: [user.id] });
    if (claimed !== 1) throw new EmailInUseError();
    const previous = await this.findUser(user.id);
    await this.#redis.set(this.#userKey(user.id), JSON.stringify(user));
    if (previous && this.#emailKey(previous.email) !== emailKey) {
      await this.#redis.eval(DELETE_IF_EQUAL, { keys: [this.#emailKey(previous.email)], arguments: [user.id] });
    }
  }

  async findUser(id: string): Promise<User | undefined> {
    const json = await this.#redis.get(this.#userKey(id));
    return json === null ? undefined : parseJsonRecord(userRecord, json, 'directory user');
  }

  async findUserByEmail(email: string): Promise<User | undefined> {
    const id = await this.#redis.get(this.#emailKey(email));
    return id === null ? undefined : this.findUser(id);
  }

  async saveMembership(membership: Membership): Promise<void> {
    await Promise.all([
      this.#redis.hSet(this.#membershipsKey(membership.userId), membership.companyId, JSON.stringify(membership)),
      this.#redis.sAdd(this.#membersKey(membership.companyId), membership.userId),
    ]);
  }

  async membershipsOfUser(userId: string): Promise<Membership[]> {
    const all = await this.#redis.hVals(this.#membershipsKey(userId));
    return all.map((json) => parseJsonRecord(membershipRecord, json, 'directory membership'));
  }

  async membersOfCompany(companyId: string): Promise<Membership[]> {
    const userIds = await this.#redis.sMembers(this.#membersKey(companyId));
    const memberships = await Promise.all(userIds.map((userId) => this.#redis.hGet(this.#membershipsKey(userId), companyId)));
    return memberships.filter((json) => json != null).map((json) => parseJsonRecord(membershipRecord, json, 'directory membership'));
  }

  #companyKey(id: string): string {
    return `${this.#prefix}{c:${id}}:company`;
  }
  #membersKey(companyId: string): string {
    return `${this.#prefix}{c:${companyId}}:members`;
  }
  #userKey(id: string): string {
    return `${this.#prefix}{u:${id}}:user`;
  }
  #membershipsKey(userId: string): string {
    return `${this.#prefix}{u:${userId}}:memberships`;
  }
  #ssoDomainKey(domain: string): string {
    return `${this.#prefix}sso-domain:${domain}`;
  }
  #federatedKey(subject: FederatedSubject): string {
    const hash = createHash('sha256').update(JSON.stringify([subject.issuer, subject.subject])).digest('base64url');
    return `${this.#prefix}{c:${subject.companyId}}:fed:${hash}`;
  }
  #emailKey(email: string): string {
    return `${this.#prefix}email:${emailLookupKey(email)}`;
  }
}
