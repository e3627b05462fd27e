import type Provider from 'oidc-provider';
import type { OidcAccountIndex } from '../adapters/oidc_account_index.ts';
import type { SignIns } from '../mfa/service.ts';

/**
 * Ends sign-ins and browser sessions on oidc-provider. `accounts` finds an account's sessions and
 * grants, which oidc-provider itself can only find by id.
 */
export function signInsOn(provider: () => Provider, accounts: OidcAccountIndex): SignIns {
  return {
    /** The session is found by its uid, which stays the same when another tab's sign-in rotates the session id. */
    async end(sessionUid, interactionId) {
      const { Session, Interaction } = provider();
      const [session, interaction] = await Promise.all([sessionUid ? Session.findByUid(sessionUid) : undefined, Interaction.find(interactionId)]);
      await Promise.all([session?.destroy(), interaction?.destroy()]);
    },

    /**
     * Sessions go first, so that no browser can get a new grant silently while the grants are being
     * revoked; the grants are read after that. The index may name records another account has taken
     * over (a session logged in again as someone else): only those still of this account are ended.
     */
    async endEverySessionOf(accountId) {
      const p = provider();
      const sessionIds = await accounts.sessionIdsOf(accountId);
      await Promise.all(sessionIds.map((id) => destroySessionOf(p, accountId, id)));
      const grantIds = await accounts.grantIdsOf(accountId);
      await Promise.all(grantIds.map((id) => revokeGrantOf(p, accountId, id)));
    },
  };
}

async function destroySessionOf(provider: Provider, accountId: string, sessionId: string): Promise<void> {
  const session = await provider.Session.find(sessionId);
  if (session?.accountId === accountId) await session.destroy();
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
