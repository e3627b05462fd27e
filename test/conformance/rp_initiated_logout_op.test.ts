import assert from 'node:assert/strict';
import { generateKeyPair, SignJWT, decodeJwt } from 'jose';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { ALICE, authorizationRequest, CERTIFICATION, codeFrom, errorFrom, send, signIn } from './helpers.ts';
import { assertLoggedOutPage, assertStaysAtProvider, confirmLogout, endSession } from './logout.ts';
import { discover, redeem, type Op } from './tokens.ts';

const POST_LOGOUT = CERTIFICATION.postLogoutRedirectUri ?? '';

/**
 * The RP-Initiated Logout OP plan (oidcc-rp-initiated-logout-certification-test-plan), module by
 * module. Each logs in, then sends the user to end_session_endpoint with some parameters. The
 * provider always asks "Log out?" first (oidc-provider's confirmation, which protects against
 * logout CSRF); the tests answer it as the suite's browser automation does.
 */
describe('RP-Initiated Logout OP (oidcc-rp-initiated-logout-certification-test-plan)', () => {
  let running: RunningIdp;
  let op: Op;
  const clock = manualClock();
  beforeEach(async () => {
    running = await startIdp({ kind: 'memory' }, { clock });
    op = await discover(running.issuer);
  });
  afterEach(async () => {
    await running.close();
  });

  /** A signed-in browser and the ID token the client received. */
  async function signedIn(): Promise<{ browser: Browser; idToken: string }> {
    const browser = new Browser(running.issuer);
    const req = authorizationRequest(CERTIFICATION, 'default');
    const tokens = await redeem(op, req, codeFrom(await signIn(browser, await send(browser, req), ALICE, clock), req, op.issuer));
    return { browser, idToken: tokens.idToken };
  }

  /** The module's closing check: prompt=none must now fail, as the user is logged out. */
  async function assertLoggedOut(browser: Browser): Promise<void> {
    const req = authorizationRequest(CERTIFICATION, 'default', { prompt: 'none' });
    assert.equal(errorFrom(await send(browser, req), req, op.issuer), 'login_required');
  }

  it('oidcc-rp-initiated-logout-discovery-endpoint-verification: end_session_endpoint is advertised', () => {
    assert.equal(op.metadata['end_session_endpoint'], `${running.issuer}/session/end`);
  });

  for (const method of ['GET', 'POST'] as const) {
    it(`oidcc-rp-initiated-logout${method === 'POST' ? ' [POST, RP-Initiated Logout §2]' : ''}: back to post_logout_redirect_uri with state and nothing else, and logged out`, async () => {
      const { browser, idToken } = await signedIn();
      const state = 'logout-state-0123';
      const outcome = await confirmLogout(browser, await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state }, method));
      assert.ok(outcome.kind === 'redirect');
      assert.equal(`${outcome.url.origin}${outcome.url.pathname}`, POST_LOGOUT);
      assert.deepEqual([...outcome.url.searchParams], [['state', state]], 'only state (CheckForUnexpectedParametersInPostLogoutRedirect)');
      assert.equal(outcome.url.hash, '');
      await assertLoggedOut(browser);
    });
  }

  it('oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: an unregistered URI is never followed, and the error is about signing out', async () => {
    const { browser, idToken } = await signedIn();
    const page = await assertStaysAtProvider(browser, await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:1/certification/elsewhere', state: 's' }));
    assert.doesNotMatch(page.body, /sign you in/, 'a logout error has its own wording');
  });

  it('oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: a registered URI with a query added is not followed', async () => {
    const { browser, idToken } = await signedIn();
    await assertStaysAtProvider(browser, await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: `${POST_LOGOUT}?foo=bar`, state: 's' }));
  });

  it('oidcc-rp-initiated-logout-modified-id-token-hint: an id_token_hint changed to alg none is not trusted', async () => {
    const { browser, idToken } = await signedIn();
    const [, payload] = idToken.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload ?? ''}.`;
    await assertStaysAtProvider(browser, await endSession(browser, { id_token_hint: unsigned, post_logout_redirect_uri: POST_LOGOUT, state: 's' }));
  });

  it('oidcc-rp-initiated-logout-bad-id-token-hint: an id_token_hint signed by someone else is not trusted', async () => {
    const { browser, idToken } = await signedIn();
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: 'RS256', kid: 'not-ours' }).sign(privateKey);
    await assertStaysAtProvider(browser, await endSession(browser, { id_token_hint: forged, post_logout_redirect_uri: POST_LOGOUT, state: 's' }));
  });

  it('oidcc-rp-initiated-logout-no-id-token-hint: without id_token_hint the post_logout_redirect_uri is not followed', async () => {
    const { browser } = await signedIn();
    await assertStaysAtProvider(browser, await endSession(browser, { post_logout_redirect_uri: POST_LOGOUT, state: 's' }));
  });

  it('oidcc-rp-initiated-logout-no-params: the user is logged out and shown so', async () => {
    const { browser } = await signedIn();
    const outcome = await confirmLogout(browser, await endSession(browser, {}));
    assert.ok(outcome.kind === 'page');
    assertLoggedOutPage(outcome.page);
    await assertLoggedOut(browser);
  });

  it('oidcc-rp-initiated-logout-no-post-logout-redirect-uri: logged out, and shown so at the provider', async () => {
    const { browser, idToken } = await signedIn();
    const outcome = await confirmLogout(browser, await endSession(browser, { id_token_hint: idToken, state: 's' }));
    assert.ok(outcome.kind === 'page');
    assertLoggedOutPage(outcome.page);
    await assertLoggedOut(browser);
  });

  it('oidcc-rp-initiated-logout-no-state: back to post_logout_redirect_uri with no state', async () => {
    const { browser, idToken } = await signedIn();
    const outcome = await confirmLogout(browser, await endSession(browser, { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT }));
    assert.ok(outcome.kind === 'redirect');
    assert.equal(outcome.url.href, POST_LOGOUT);
    await assertLoggedOut(browser);
  });

  it('oidcc-rp-initiated-logout-only-state: logged out, and shown so at the provider', async () => {
    const { browser } = await signedIn();
    const outcome = await confirmLogout(browser, await endSession(browser, { state: 's' }));
    assert.ok(outcome.kind === 'page');
    assertLoggedOutPage(outcome.page);
    await assertLoggedOut(browser);
  });
});
