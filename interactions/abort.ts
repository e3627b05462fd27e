import { finishInteraction, type InteractionContext } from './context.ts';

/** "Cancel": the relying app receives `access_denied`. */
export async function abortInteraction(ctx: InteractionContext): Promise<void> {
  await finishInteraction(ctx, { error: 'access_denied', error_description: 'End-User aborted interaction' });
}
