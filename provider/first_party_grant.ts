import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { isFirstParty } from './clients.ts';

/**
 * oidc-provider's `loadExistingGrant`, extended so that first-party apps never stop at the consent
 * prompt: their grant is created or widened to what they ask for, here, instead of in a consent
 * round trip. Third-party apps keep oidc-provider's behaviour (their grant comes from consent).
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { client, session, provider } = ctx.oidc;
  if (!client || !session) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  if (!isFirstParty(client.metadata()) || !session.accountId) return existing;

  const grant = existing ?? new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const granted = new Set(grant.getOIDCScope().split(' '));
  const missingScopes = [...ctx.oidc.requestParamOIDCScopes].filter((s) => !granted.has(s));
  const missingClaims = [...ctx.oidc.requestParamClaims].filter((c) => !grant.getOIDCClaims().includes(c));
  if (existing && missingScopes.length === 0 && missingClaims.length === 0) return existing;
  if (missingScopes.length > 0) grant.addOIDCScope(missingScopes.join(' '));
  if (missingClaims.length > 0) grant.addOIDCClaims(missingClaims);
  await grant.save();
  return grant;
}
