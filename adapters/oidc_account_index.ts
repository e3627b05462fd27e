/**
 * oidc-provider finds sessions and grants by their id only; ending every sign-in of one account (an
 * admin's MFA reset) needs them by account. The oidc adapters record the ids as sessions and grants
 * are saved, in a per-account index.
 *
 * The index only ever grows between expiries, so it can name records that have since expired, been
 * destroyed, or (a session) been taken over by another account's login. Readers load each record and
 * check its `accountId` before acting on it.
 */
export interface OidcAccountIndex {
  /** Ids of the `Session` records saved for this account and not yet known to have expired. */
  sessionIdsOf(accountId: string): Promise<string[]>;
  /** Ids of the `Grant` records saved for this account and not yet known to have expired. */
  grantIdsOf(accountId: string): Promise<string[]>;
  /**
   * Records these sessions (by uid, which stays when a login rotates the session id) as ended, for
   * `ttlSeconds`: as long as a session, grant or token of theirs could live. See ended_sessions.ts
   * for why destroying the records is not enough.
   */
  endSessions(accountId: string, sessionUids: readonly string[], ttlSeconds: number): Promise<void>;
  /** Did `endSessions` end this session of the account (and is it still kept)? */
  sessionEnded(accountId: string, sessionUid: string): Promise<boolean>;
}

/** The models indexed by account: both carry `accountId` in their payload. */
export const ACCOUNT_INDEXED_MODELS: ReadonlySet<string> = new Set(['Session', 'Grant']);
