import type { KoaContextWithOIDC } from 'oidc-provider';
import type { ProviderMiddleware } from './middleware.ts';

/**
 * "Log out of everything" (the logout form's `logout=yes`) ends offline refresh tokens too.
 * oidc-provider revokes the session's grants on that choice, except those marked `persistsLogout`:
 * the ones whose code carried `offline_access`. A user who logs out of everything, for example on a
 * shared or lost device, expects every app to be signed out, so those grants go here as well, once
 * oidc-provider has ended the session. Logging out of one app only ("No, stay logged in") is left as
 * oidc-provider does it.
 */
export const revokeOfflineGrantsOnLogout: ProviderMiddleware = async (ctx, next) => {
  await next();
  if (ctx.method !== 'POST') return;
  const { oidc } = ctx as Partial<KoaContextWithOIDC>;
  if (oidc?.route !== 'end_session_confirm' || !oidc.params?.['logout']) return;
  const { provider } = oidc;
  const offline = Object.values(oidc.session?.authorizations ?? {}).filter((a) => a.persistsLogout && a.grantId);
  await Promise.all(
    offline.map(async ({ grantId }) => {
      if (!grantId) return;
      await Promise.all([
        provider.AccessToken.revokeByGrantId(grantId),
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AuthorizationCode.revokeByGrantId(grantId),
        provider.Grant.adapter.destroy(grantId),
      ]);
    }),
  );
};
