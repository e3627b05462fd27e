import type Provider from 'oidc-provider';
import type { SignIns } from '../mfa/service.ts';

/**
 * Ends a sign-in and its browser session on oidc-provider. The session is found by its uid, which
 * stays the same when another tab's sign-in rotates the session id.
 */
export function signInsOn(provider: () => Provider): SignIns {
  return {
    async end(sessionUid, interactionId) {
      const { Session, Interaction } = provider();
      const [session, interaction] = await Promise.all([sessionUid ? Session.findByUid(sessionUid) : undefined, Interaction.find(interactionId)]);
      await Promise.all([session?.destroy(), interaction?.destroy()]);
    },
  };
}
