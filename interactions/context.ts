import type { RouterContext } from '@koa/router';
import type { Next } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { Logger } from 'pino';
import type { DirectoryStore } from '../directory/store.ts';
import type { LoginThrottle } from '../directory/login_throttle.ts';
import type { Mfa } from '../mfa/service.ts';
import type { Federation } from '../sso/service.ts';
import type { Clock } from '../lib/clock.ts';
import type { Metrics } from '../lib/metrics.ts';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the interaction routes need; passed explicitly rather than through a container. */
export interface InteractionDeps {
  provider: Provider;
  directory: DirectoryStore;
  throttle: LoginThrottle;
  mfa: Mfa;
  federation: Federation;
  /** `$ISSUER/sso/callback`, the redirect URI the companies' IdPs answer to. */
  ssoRedirectUri: string;
  clock: Clock;
  logger: Logger;
  /** Password sign-ins by result (SSO sign-ins are counted where they are audited). */
  metrics: Pick<Metrics, 'logins'>;
}

export type OidcClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

export interface InteractionState {
  interaction: Interaction;
  log: Logger;
}

/** A request inside an interaction: the route table loads the interaction into its state first. */
export type InteractionContext = RouterContext<InteractionState>;

/** The one handler signature of the route table (routes.ts). */
export type InteractionHandler = (ctx: InteractionContext, deps: InteractionDeps) => Promise<void>;

/**
 * Loads the interaction named by the `_interaction` cookie and checks that it is the one in the URL.
 * The cookie's path is `/interaction/<uid>`, so a wrong or expired uid arrives without a cookie and
 * oidc-provider throws SessionNotFound, which the error pages turn into a "start again" page.
 */
export function loadInteraction(provider: Provider) {
  return async (ctx: InteractionContext, next: Next): Promise<void> => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params['uid']) ctx.throw(400, 'This sign-in link does not belong to your current sign-in. Start again.');
    ctx.state.interaction = interaction;
    await next();
  };
}

/** The signed-in (first factor) account of this interaction; MFA and consent only ever concern it. */
export function interactionAccountId(ctx: InteractionContext): string {
  const accountId = ctx.state.interaction.session?.accountId;
  if (!accountId) ctx.throw(400, 'There is no signed-in user for this request. Start again.');
  return accountId;
}

/**
 * Finishes the interaction with `result` and sends the browser back to oidc-provider. It does what
 * `provider.interactionResult` does, on the interaction this request already loaded and checked
 * (cookie, session principal), instead of loading it a second time.
 */
export async function finishInteraction(ctx: InteractionContext, result: InteractionResults): Promise<void> {
  const { interaction } = ctx.state;
  interaction.result = result;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
  ctx.status = 303;
  ctx.redirect(interaction.returnTo);
}

/** The relying app of this interaction (loaded only by the steps that show or need it). */
export async function clientOf(ctx: InteractionContext, provider: Provider): Promise<OidcClient> {
  const client = await provider.Client.find(String(ctx.state.interaction.params['client_id']));
  if (!client) ctx.throw(400, 'The application that started this sign-in is no longer registered.');
  return client;
}

export function clientName(client: OidcClient): string {
  return client.clientName ?? client.clientId;
}
