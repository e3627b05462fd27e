import type Provider from 'oidc-provider';
import { finishInteraction, type InteractionContext } from './context.ts';

/** "Cancel": the relying app receives `access_denied`. */
export async function abortInteraction(ctx: InteractionContext, provider: Provider): Promise<void> {
  await finishInteraction(ctx, provider, { error: 'access_denied', error_description: 'End-User aborted interaction' });
}
