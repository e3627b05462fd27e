import assert from 'node:assert/strict';
import { Browser } from '../helpers/browser.ts';
import { loginToCallback } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';
import { refresh, tokenRequest, userinfoStatus, type EndpointReply } from '../helpers/token_endpoint.ts';

const PARALLEL = 5;

function invalidGrant(reply: EndpointReply): boolean {
  return reply.status === 400 && reply.body['error'] === 'invalid_grant';
}

/**
 * Codes and refresh tokens are single use even when the same one arrives several times at once:
 * one request wins, the others get invalid_grant, and the reuse revokes the whole grant, the
 * winner's tokens included (RFC 6749 §10.4, OAuth 2.0 Security BCP).
 */
export function tokenReuseSuite(backend: () => Backend): void {
  let running: RunningIdp;
  beforeEach(async () => {
    running = await startIdp(backend());
  });
  afterEach(async () => {
    await running.close();
  });

  async function codeFor(email: string, password: string): Promise<{ code: string; verifier: string }> {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const request = await authorizationRequest(rp, CLIENTS.web, { scope: 'openid offline_access' });
    const callback = await loginToCallback(new Browser(running.issuer), request.url, email, password);
    const code = new URL(callback).searchParams.get('code');
    assert.ok(code);
    return { code, verifier: request.verifier };
  }

  function exchange(code: string, verifier: string): Promise<EndpointReply> {
    return tokenRequest(running.issuer, CLIENTS.web, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: CLIENTS.web.redirectUri });
  }

  it('one code sent in parallel: exactly one 200, the rest invalid_grant, and the winner’s tokens revoked', async () => {
    const { code, verifier } = await codeFor('alice@acme.test', 'alice-password-1');
    const replies = await Promise.all(Array.from({ length: PARALLEL }, () => exchange(code, verifier)));
    const winners = replies.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, `statuses: ${replies.map((r) => r.status).join(',')}`);
    assert.ok(replies.filter((r) => r !== winners[0]).every(invalidGrant));

    const [winner] = winners;
    assert.ok(winner);
    assert.equal(await userinfoStatus(running.issuer, String(winner.body['access_token'])), 401, 'the winner’s access token is revoked');
    assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, String(winner.body['refresh_token']))), 'and its refresh token');
  });

  it('one refresh token used twice in parallel: at most one success, and the whole chain dead afterwards', async () => {
    const { code, verifier } = await codeFor('bob@acme.test', 'bob-password-12');
    const first = await exchange(code, verifier);
    assert.equal(first.status, 200);
    const refreshToken = String(first.body['refresh_token']);

    const replies = await Promise.all([refresh(running.issuer, CLIENTS.web, refreshToken), refresh(running.issuer, CLIENTS.web, refreshToken)]);
    const successes = replies.filter((r) => r.status === 200);
    assert.ok(successes.length <= 1, `statuses: ${replies.map((r) => r.status).join(',')}`);
    assert.ok(replies.filter((r) => r.status !== 200).every(invalidGrant));

    for (const success of successes) {
      assert.ok(invalidGrant(await refresh(running.issuer, CLIENTS.web, String(success.body['refresh_token']))), 'the rotated token is revoked');
      assert.equal(await userinfoStatus(running.issuer, String(success.body['access_token'])), 401);
    }
    assert.equal(await userinfoStatus(running.issuer, String(first.body['access_token'])), 401, 'the first access token too');
  });
}
