import type Provider from 'oidc-provider';
import type { OidcAccountIndex } from '../adapters/oidc_account_index.ts';
import type { SignIns } from '../mfa/service.ts';

/**
 * Ends sign-ins and browser sessions on oidc-provider. `accounts` finds an account's sessions and
 * grants, which oidc-provider itself can only find by id. `signInLifetimeSeconds` is the longest a
 * session, grant or token lives (oidc-provider's Grant TTL): how long an ended session stays recorded.
 */
export function signInsOn(provider: () => Provider, accounts: OidcAccountIndex, signInLifetimeSeconds: number): SignIns {
  return {
    /** The session is found by its uid, which stays the same when another tab's sign-in rotates the session id. */
    async end(sessionUid, interactionId) {
      const { Session, Interaction } = provider();
      const [session, interaction] = await Promise.all([sessionUid ? Session.findByUid(sessionUid) : undefined, Interaction.find(interactionId)]);
      await Promise.all([session?.destroy(), interaction?.destroy()]);
    },

    /**
     * Sessions go first, so that no browser can get a new grant silently while the grants are being
     * revoked; the grants are read after that. Each session is recorded as ended before it is
     * destroyed: a request of that session still running would save it again as it ends, and the
     * record makes it, and what it issues, not found (adapters/ended_sessions.ts). The index may name
     * records another account has taken over (a session logged in again as someone else): only those
     * still of this account are ended.
     */
    async endEverySessionOf(accountId) {
      const p = provider();
      const found = await Promise.all((await accounts.sessionIdsOf(accountId)).map((id) => p.Session.find(id)));
      const sessions = found.filter((session): session is NonNullable<typeof session> => session?.accountId === accountId);
      await accounts.endSessions(accountId, sessions.map((session) => session.uid), signInLifetimeSeconds);
      await Promise.all(sessions.map((session) => session.destroy()));
      const grantIds = await accounts.grantIdsOf(accountId);
      await Promise.all(grantIds.map((id) => revokeGrantOf(p, accountId, id)));
    },

    /**
     * Every other browser session of the account ends (a replaced password, app or phone): recorded
     * as ended, then destroyed, so the codes and tokens issued in them (refresh tokens included, which
     * carry their session's uid) are refused from now on (adapters/ended_sessions.ts). The session
     * kept is the one a first-party site signed in from, found by the `sid` its ID token carried.
     */
    async endOtherSessionsOf(accountId, keep) {
      const p = provider();
      const found = await Promise.all((await accounts.sessionIdsOf(accountId)).map((id) => p.Session.find(id)));
      const others = found.filter((session): session is NonNullable<typeof session> => session?.accountId === accountId && !(keep && session.authorizations?.[keep.clientId]?.sid === keep.sid));
      if (others.length === 0) return;
      await accounts.endSessions(accountId, others.map((session) => session.uid), signInLifetimeSeconds);
      await Promise.all(others.map((session) => session.destroy()));
    },
  };
}

/**
 * Every token and code of the grant, then the grant itself, as oidc-provider's own revocation does
 * (lib/helpers/revoke.js): a token saved by a request still running meanwhile names a grant that is
 * gone, and oidc-provider refuses it at userinfo and at the token endpoint.
 */
async function revokeGrantOf(provider: Provider, accountId: string, grantId: string): Promise<void> {
  const grant = await provider.Grant.find(grantId);
  if (grant?.accountId !== accountId) return;
  const { AccessToken, RefreshToken, AuthorizationCode, DeviceCode, BackchannelAuthenticationRequest, PreAuthorizedCode } = provider;
  const tokenModels = [AccessToken, RefreshToken, AuthorizationCode, DeviceCode, BackchannelAuthenticationRequest, PreAuthorizedCode];
  await Promise.all(tokenModels.map((model) => model.revokeByGrantId(grantId)));
  await grant.destroy();
}
