import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { InteractionResults } from 'oidc-provider';
import type { Logger } from 'pino';
import type { DirectoryStore } from '../directory/store.ts';
import type { LoginThrottle } from '../security/login_throttle.ts';
import type { Mfa } from '../mfa/mfa.ts';
import type { Clock } from '../lib/clock.ts';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What the interaction routes need; passed explicitly rather than through a container. */
export interface InteractionDeps {
  provider: Provider;
  directory: DirectoryStore;
  throttle: LoginThrottle;
  mfa: Mfa;
  clock: Clock;
  logger: Logger;
}

export type OidcClient = NonNullable<Awaited<ReturnType<Provider['Client']['find']>>>;

export interface InteractionState {
  interaction: Interaction;
  log: Logger;
}

export type InteractionContext = Context & { state: InteractionState; params: Record<string, string> };

export type InteractionHandler = (ctx: InteractionContext, next: Next) => Promise<void>;

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

/** Refuses a step that the interaction is not at: posting to a later step directly gets a 400. */
export function requirePrompt(ctx: InteractionContext, name: string): void {
  if (ctx.state.interaction.prompt.name !== name) {
    ctx.throw(400, 'This step is not available right now. Go back to the application and sign in again.');
  }
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
