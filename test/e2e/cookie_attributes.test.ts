import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { ERIN_SECRET, totpNow } from '../helpers/mfa.ts';
import { CLIENTS } from '../helpers/rp.ts';

/**
 * Every Set-Cookie of a whole journey (login, MFA, SSO with consent, error pages, POST at /auth and
 * /session/end, logout), in each way a request can reach us. Browsers drop a `SameSite=None` cookie
 * that is not `Secure`, so one such line anywhere is a lost session; and the interaction cookies
 * must stay `Lax`, since the interaction forms rely on it instead of a CSRF token (docs/decisions.md).
 */
const MODES = [
  { name: 'plain HTTP with a forged X-Forwarded-Proto: https (no TRUST_PROXY)', issuer: undefined, env: {}, proto: 'https', sessionSameSite: 'lax' },
  { name: 'an https ISSUER without TRUST_PROXY', issuer: 'https://idp.example', env: {}, proto: 'https', sessionSameSite: 'lax' },
  { name: 'TLS at a trusted proxy', issuer: 'https://idp.example', env: { TRUST_PROXY: 'true' }, proto: 'https', sessionSameSite: 'none' },
  { name: 'a trusted proxy that says http', issuer: 'https://idp.example', env: { TRUST_PROXY: 'true' }, proto: 'http', sessionSameSite: 'lax' },
] as const;

const PKCE = { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' };

function authorizationQuery(client: { id: string; redirectUri: string }, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ client_id: client.id, response_type: 'code', redirect_uri: client.redirectUri, scope: 'openid', state: 's', ...PKCE, ...extra }).toString();
}

for (const mode of MODES) {
  describe(`cookie attributes: ${mode.name}`, () => {
    const clock = manualClock();
    let running: RunningIdp;

    beforeEach(async () => {
      running = await startIdp({ kind: 'memory' }, { clock, env: mode.env, ...(mode.issuer ? { issuer: mode.issuer } : {}) });
    });
    afterEach(async () => {
      await running.close();
    });

    it(`no SameSite=None without Secure; the session cookie is ${mode.sessionSameSite}, the interaction cookies Lax`, async () => {
      const lines: string[] = [];
      const record = (page: Page): Page => {
        lines.push(...page.headers.getSetCookie());
        return page;
      };
      const browser = new Browser(`http://127.0.0.1:${String(running.port)}`, new URL(running.issuer).host);
      browser.headers['x-forwarded-proto'] = mode.proto;
      const get = async (path: string): Promise<Page> => record(await browser.get(path));
      const post = async (path: string, form: Record<string, string>): Promise<Page> => record(await browser.post(path, form));

      // Password and TOTP (erin), each step recorded.
      const opened = await openAuthorization(browser, new URL(`/auth?${authorizationQuery(CLIENTS.web)}`, running.issuer));
      record(opened.page);
      const afterPassword = await followRedirects(browser, record(await submitCredentials(browser, opened.uid, 'erin@summit.test', 'erin-password-1')));
      const mfaUid = /\/interaction\/([\w-]+)\//.exec(afterPassword.page.body)?.[1];
      assert.ok(mfaUid, 'the MFA challenge');
      let step = await post(`/interaction/${mfaUid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) });
      while ((step.status === 302 || step.status === 303) && step.location && !step.location.startsWith('http://127.0.0.1:1/')) step = await get(step.location);
      assert.ok(step.location?.startsWith('http://127.0.0.1:1/'), 'logged in');

      // SSO into a third-party app: consent.
      let consent = await get(`/auth?${authorizationQuery(CLIENTS.partner)}`);
      while ((consent.status === 302 || consent.status === 303) && consent.location?.startsWith('/')) consent = await get(consent.location);
      const consentUid = /action="\/interaction\/([\w-]+)\/consent"/.exec(consent.body)?.[1];
      assert.ok(consentUid, 'the consent screen');
      await post(`/interaction/${consentUid}/consent`, {});

      // Errors with a session, POST at /auth, then logout through the confirmation form.
      await get(`/auth?${authorizationQuery({ id: CLIENTS.web.id, redirectUri: 'https://elsewhere.example/cb' })}`);
      await post('/auth', Object.fromEntries(new URLSearchParams(authorizationQuery(CLIENTS.web, { prompt: 'none' }))));
      const confirm = await post('/session/end', { client_id: CLIENTS.web.id });
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.body)?.[1];
      const action = /<form[^>]*action="([^"]+)"/.exec(confirm.body)?.[1];
      assert.ok(xsrf && action, 'the logout confirmation');
      await post(new URL(action).pathname, { xsrf, logout: 'yes' });
      await get('/session/end?post_logout_redirect_uri=https%3A%2F%2Felsewhere.example%2F');

      const named = (name: string): string[] => lines.filter((line) => line.startsWith(`${name}=`) || line.startsWith(`${name}.sig=`));
      assert.ok(named('_session').length > 0 && named('_interaction').length > 0, 'the journey set both kinds');
      assert.deepEqual(lines.filter((line) => /;\s*samesite=none/i.test(line) && !/;\s*secure/i.test(line)), [], 'SameSite=None without Secure');
      for (const line of named('_session')) assert.match(line, new RegExp(`;\\s*samesite=${mode.sessionSameSite}\\b`, 'i'), line);
      for (const line of [...named('_interaction'), ...named('_interaction_resume')]) assert.match(line, /;\s*samesite=lax\b/i, line);
    });
  });
}
