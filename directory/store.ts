import type { Company, Membership, User } from './types.ts';

export class EmailInUseError extends Error {
  override name = 'EmailInUseError';
  constructor() {
    super('email address already belongs to another user');
  }
}

/**
 * Persistence of the directory. Implemented in `adapters/memory` and `adapters/redis`; both pass
 * `test/contract/directory_store.contract.ts`.
 */
export interface DirectoryStore {
  saveCompany(company: Company): Promise<void>;
  findCompany(id: string): Promise<Company | undefined>;
  /** Creates or replaces a user. Throws `EmailInUseError` if another user has the email (any case). */
  saveUser(user: User): Promise<void>;
  findUser(id: string): Promise<User | undefined>;
  findUserByEmail(email: string): Promise<User | undefined>;
  /** Creates or replaces the membership of (userId, companyId). */
  saveMembership(membership: Membership): Promise<void>;
  membershipsOfUser(userId: string): Promise<Membership[]>;
  membersOfCompany(companyId: string): Promise<Membership[]>;
}
