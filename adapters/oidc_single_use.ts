import { errors } from 'oidc-provider';

/**
 * What a single-use model's second consume throws. oidc-provider checks `consumed` on the copy it
 * loaded and then calls `adapter.consume()`, so two parallel requests both pass its check: only the
 * adapter's atomic consume can tell the loser, and it throws from inside the grant, which reaches the
 * client as invalid_grant (invalid_request_uri for a pushed request) instead of a second set of tokens.
 */
export function alreadyConsumed(model: string, state: 'reused' | 'missing'): errors.OIDCProviderError {
  const detail = state === 'reused' ? 'was already used' : 'is no longer valid';
  if (model === 'PushedAuthorizationRequest') return new errors.InvalidRequestUri(`request_uri ${detail}`);
  return new errors.InvalidGrant(`${model === 'AuthorizationCode' ? 'authorization code' : 'grant'} ${detail}`);
}

/**
 * Models whose entries are written once and never replaced: oidc-provider's replay detection (the
 * `jti` of client assertions and DPoP proofs). It checks with `find` and then saves, so parallel
 * requests with one assertion all passed; the adapter's write is the atomic step instead.
 */
export const INSERT_ONLY_MODELS: ReadonlySet<string> = new Set(['ReplayDetection']);

/** What an insert-only write throws when the entry already exists: the loser of a replay race. */
export class AlreadyRecorded extends Error {
  override name = 'AlreadyRecorded';
  constructor(model: string) {
    super(`${model} entry already recorded`);
  }
}
