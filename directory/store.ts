import type { Company, FederatedSubject, Membership, User } from './types.ts';

export class EmailInUseError extends Error {
  override name = 'EmailInUseError';
  constructor() {
    super('email address already belongs to another user');
  }
}

export class DomainClaimedError extends Error {
  override name = 'DomainClaimedError';
  readonly domain: string;
  constructor(domain: string) {
    super(`email domain ${domain} already signs in through another company's SSO`);
    this.domain = domain;
  }
}

/**
 * Persistence of the directory. Implemented in `adapters/memory` and `adapters/redis`; both pass
 * `test/contract/directory_store.contract.ts`.
 */
export interface DirectoryStore {
  /**
   * Creates or replaces a company. With an SSO connection, its email domains are routed to it; throws
   * `DomainClaimedError` (and changes nothing) if another company's SSO already has one of them.
   */
  saveCompany(company: Company): Promise<void>;
  findCompany(id: string): Promise<Company | undefined>;
  /** Every company's id (the deadline reminders sweep them). */
  companyIds(): Promise<string[]>;
  /** The company whose SSO connection a domain (IDNA ASCII, lower case) logs in through. */
  ssoCompanyForDomain(domain: string): Promise<Company | undefined>;
  /** Creates or replaces a user. Throws `EmailInUseError` if another user has the email (any case). */
  saveUser(user: User): Promise<void>;
  findUser(id: string): Promise<User | undefined>;
  findUserByEmail(email: string): Promise<User | undefined>;
  /** Creates or replaces the membership of (userId, companyId). */
  saveMembership(membership: Membership): Promise<void>;
  membershipsOfUser(userId: string): Promise<Membership[]>;
  membersOfCompany(companyId: string): Promise<Membership[]>;
  /** The user an upstream account was linked to at its first SSO login. */
  findFederatedUser(subject: FederatedSubject): Promise<string | undefined>;
  /** Links an upstream account to `userId` unless it is linked already; returns the user it is linked to. */
  linkFederatedUser(subject: FederatedSubject, userId: string): Promise<string>;
}
