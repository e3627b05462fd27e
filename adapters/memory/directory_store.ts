import { DomainClaimedError, EmailInUseError, type DirectoryStore } from '../../directory/store.ts';
import { emailLookupKey } from '../../directory/email_address.ts';
import type { Company, FederatedSubject, Membership, User } from '../../directory/types.ts';

/** The directory in process memory: for development and tests. Values are copied in and out. */
export class MemoryDirectoryStore implements DirectoryStore {
  readonly #companies = new Map<string, Company>();
  readonly #users = new Map<string, User>();
  readonly #userIdByEmail = new Map<string, string>();
  readonly #memberships = new Map<string, Map<string, Membership>>();
  readonly #ssoCompanyByDomain = new Map<string, string>();
  readonly #federatedUsers = new Map<string, string>();

  saveCompany(company: Company): Promise<void> {
    const domains = company.sso ? company.emailDomains : [];
    const claimed = domains.find((domain) => (this.#ssoCompanyByDomain.get(domain) ?? company.id) !== company.id);
    if (claimed !== undefined) return Promise.reject(new DomainClaimedError(claimed));
    for (const [domain, owner] of this.#ssoCompanyByDomain) {
      if (owner === company.id && !domains.includes(domain)) this.#ssoCompanyByDomain.delete(domain);
    }
    for (const domain of domains) this.#ssoCompanyByDomain.set(domain, company.id);
    this.#companies.set(company.id, structuredClone(company));
    return Promise.resolve();
  }

  ssoCompanyForDomain(domain: string): Promise<Company | undefined> {
    const id = this.#ssoCompanyByDomain.get(domain);
    return Promise.resolve(id === undefined ? undefined : copy(this.#companies.get(id)));
  }

  companyIds(): Promise<string[]> {
    return Promise.resolve([...this.#companies.keys()]);
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

  findFederatedUser(subject: FederatedSubject): Promise<string | undefined> {
    return Promise.resolve(this.#federatedUsers.get(subjectKey(subject)));
  }

  linkFederatedUser(subject: FederatedSubject, userId: string): Promise<string> {
    const key = subjectKey(subject);
    const linked = this.#federatedUsers.get(key) ?? userId;
    this.#federatedUsers.set(key, linked);
    return Promise.resolve(linked);
  }
}

function subjectKey(subject: FederatedSubject): string {
  return JSON.stringify([subject.companyId, subject.issuer, subject.subject]);
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}
