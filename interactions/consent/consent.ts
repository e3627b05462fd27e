import { isFirstParty } from '../../provider/clients.ts';
import { renderPage } from '../render.ts';
import { clientName, finishInteraction, type InteractionContext, type InteractionDeps, type OidcClient } from '../context.ts';

interface MissingGrants {
  scopes: string[];
  claims: string[];
  resourceScopes: Record<string, string[]>;
}

/** What the consent prompt says is missing from the grant (oidc-provider's prompt details). */
export function missingGrants(details: Record<string, unknown>): MissingGrants {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const resource = details['missingResourceScopes'];
  const resourceScopes: Record<string, string[]> = {};
  if (resource && typeof resource === 'object') {
    for (const [indicator, scopes] of Object.entries(resource)) resourceScopes[indicator] = strings(scopes);
  }
  return { scopes: strings(details['missingOIDCScope']), claims: strings(details['missingOIDCClaims']), resourceScopes };
}

/** First-party apps are trusted by configuration and never see the consent screen. */
export function consentScreenNeeded(clientMetadata: Record<string, unknown>): boolean {
  return !isFirstParty(clientMetadata);
}

/**
 * The account shown is the signed-in one, from the directory: never the app-supplied `login_hint`,
 * which would let an app show one account while asking for another's consent.
 */
export function showConsent(ctx: InteractionContext, client: OidcClient, account: { email: string } | undefined): void {
  const { interaction } = ctx.state;
  const missing = missingGrants(interaction.prompt.details);
  renderPage(ctx, 'consent/consent', { title: 'Allow access?' }, {
    uid: interaction.uid,
    clientName: clientName(client),
    email: account?.email ?? '',
    scopes: missing.scopes.filter((s) => s !== 'openid'),
    claims: missing.claims.filter((c) => !['sub', 'acr', 'amr', 'auth_time', 'sid'].includes(c)),
  });
}

/** Records what the user allowed (or what a first-party app gets by default) and resumes the flow. */
export async function grantConsent(ctx: InteractionContext, { provider }: InteractionDeps): Promise<void> {
  const { interaction } = ctx.state;
  const accountId = interaction.session?.accountId;
  if (!accountId) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  const clientId = String(interaction.params['client_id']);

  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const missing = missingGrants(interaction.prompt.details);
  if (missing.scopes.length > 0) grant.addOIDCScope(missing.scopes.join(' '));
  if (missing.claims.length > 0) grant.addOIDCClaims(missing.claims);
  for (const [indicator, scopes] of Object.entries(missing.resourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();

  await finishInteraction(ctx, { consent: existing ? {} : { grantId } });
}
