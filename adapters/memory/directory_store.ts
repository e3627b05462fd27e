import { EmailInUseError, type DirectoryStore } from '../../directory/store.ts';
import { emailLookupKey } from '../../directory/email_address.ts';
import type { Company, Membership, User } from '../../directory/types.ts';

/** The directory in process memory: for development and tests. Values are copied in and out. */
export class MemoryDirectoryStore implements DirectoryStore {
  readonly #companies = new Map<string, Company>();
  readonly #users = new Map<string, User>();
  readonly #userIdByEmail = new Map<string, string>();
  readonly #memberships = new Map<string, Map<string, Membership>>();

  saveCompany(company: Company): Promise<void> {
    this.#companies.set(company.id, structuredClone(company));
    return Promise.resolve();
  }

  findCompany(id: string): Promise<Company | undefined> {
    return Promise.resolve(copy(this.#companies.get(id)));
  }

  saveUser(user: User): Promise<void> {
    const email = emailLookupKey(user.email);
    const owner = this.#userIdByEmail.get(email);
    if (owner !== undefined && owner !== user.id) return Promise.reject(new EmailInUseError());
    const previous = this.#users.get(user.id);
    if (previous) this.#userIdByEmail.delete(emailLookupKey(previous.email));
    this.#userIdByEmail.set(email, user.id);
    this.#users.set(user.id, structuredClone(user));
    return Promise.resolve();
  }

  findUser(id: string): Promise<User | undefined> {
    return Promise.resolve(copy(this.#users.get(id)));
  }

  findUserByEmail(email: string): Promise<User | undefined> {
    const id = this.#userIdByEmail.get(emailLookupKey(email));
    return Promise.resolve(id === undefined ? undefined : copy(this.#users.get(id)));
  }

  saveMembership(membership: Membership): Promise<void> {
    const ofUser = this.#memberships.get(membership.userId) ?? new Map<string, Membership>();
    ofUser.set(membership.companyId, structuredClone(membership));
    this.#memberships.set(membership.userId, ofUser);
    return Promise.resolve();
  }

  membershipsOfUser(userId: string): Promise<Membership[]> {
    return Promise.resolve([...(this.#memberships.get(userId)?.values() ?? [])].map((m) => structuredClone(m)));
  }

  membersOfCompany(companyId: string): Promise<Membership[]> {
    const members: Membership[] = [];
    for (const ofUser of this.#memberships.values()) {
      const membership = ofUser.get(companyId);
      if (membership) members.push(structuredClone(membership));
    }
    return Promise.resolve(members);
  }
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}
