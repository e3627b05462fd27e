import type Provider from 'oidc-provider';
import { AlreadyRecorded } from '../adapters/oidc_single_use.ts';

/**
 * oidc-provider's `ReplayDetection.unique` (client assertion and DPoP proof `jti`s) finds and then
 * saves, so two parallel requests with one assertion both found nothing and both passed. The
 * adapters write its entries insert-only and throw `AlreadyRecorded` for the loser; this turns that
 * into "not unique", which oidc-provider answers as a replay (`invalid_client` for an assertion).
 */
export function atomicReplayDetection(provider: Provider): void {
  const model = provider.ReplayDetection;
  const unique = model.unique.bind(model);
  model.unique = async (iss, jti, exp) => {
    try {
      return await unique(iss, jti, exp);
    } catch (err) {
      if (err instanceof AlreadyRecorded) return false;
      throw err;
    }
  };
}
