import { EmailInUseError, type DirectoryStore } from '../../directory/store.ts';
import { emailLookupKey } from '../../directory/email_address.ts';
import type { Company, Membership, User } from '../../directory/types.ts';
import type { RedisClient } from './client.ts';
import { companyRecord, membershipRecord, parseJsonRecord, userRecord } from '../records.ts';

/** Sets the email index to `id` unless it already points to another user. One key, so cluster-safe. */
const CLAIM_EMAIL = `
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
 *   {prefix}dir:{c:<id>}:members          SET of user ids
 *   {prefix}dir:{u:<id>}:user             JSON
 *   {prefix}dir:{u:<id>}:memberships      HASH companyId → JSON
 *   {prefix}dir:email:<emailLookupKey>    user id
 */
export class RedisDirectoryStore implements DirectoryStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}dir:`;
  }

  async saveCompany(company: Company): Promise<void> {
    await this.#redis.set(this.#companyKey(company.id), JSON.stringify(company));
  }

  async findCompany(id: string): Promise<Company | undefined> {
    const json = await this.#redis.get(this.#companyKey(id));
    return json === null ? undefined : parseJsonRecord(companyRecord, json, 'directory company');
  }

  async saveUser(user: User): Promise<void> {
    const emailKey = this.#emailKey(user.email);
    const claimed = await this.#redis.eval(CLAIM_EMAIL, { keys: [emailKey], arguments: [user.id] });
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
  #emailKey(email: string): string {
    return `${this.#prefix}email:${emailLookupKey(email)}`;
  }
}
