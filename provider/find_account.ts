import type { Account, FindAccount } from 'oidc-provider';
import type { DirectoryStore } from '../directory/store.ts';

/**
 * Maps a directory user onto OIDC claims. `acr`, `amr` and `auth_time` come from the session, not
 * from here. Disabled users are not found, so their existing sessions cannot mint new tokens.
 */
export function findAccountIn(directory: DirectoryStore): FindAccount {
  return async (_ctx, id): Promise<Account | undefined> => {
    const user = await directory.findUser(id);
    if (!user || user.status !== 'active') return undefined;
    return {
      accountId: user.id,
      claims: () => ({
        sub: user.id,
        email: user.email,
        email_verified: user.emailVerified,
        name: user.name,
        given_name: user.givenName,
        family_name: user.familyName,
      }),
    };
  };
}
