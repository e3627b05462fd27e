import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import type { Step } from '../../interactions/routes.ts';
import { Browser } from '../helpers/browser.ts';
import { openAuthorization } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { passwordStep } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, relyingParty, type TestClient } from '../helpers/rp.ts';

/**
 * Every interaction route declares the step it belongs to, and a request at any other step is
 * refused before anything is read or changed. Walks the real route table, so a route added
 * without its step is caught here.
 */
describe('every interaction route is guarded by its declared step', () => {
  const clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  let running: RunningIdp;
  before(async () => {
    running = await startIdp({ kind: 'memory' }, { clock });
  });
  after(async () => {
    await running.close();
  });

  /** A browser standing at each step, and the interaction it stands in. */
  const standAt: Record<Step, () => Promise<{ browser: Browser; uid: string }>> = {
    login: async () => {
      const browser = new Browser(running.issuer);
      const { uid } = await openAuthorization(browser, (await authorizationRequest(await relyingParty(running.issuer, CLIENTS.web), CLIENTS.web)).url);
      return { browser, uid };
    },
    mfa_enroll: async () => passwordAs('fred@summit.test', 'fred-password-1', /Two-Factor Authentication Required/),
    mfa: async () => passwordAs('erin@summit.test', 'erin-password-1', /Enter Your 6-digit Verification Code/),
    consent: async () => passwordAs('Alice@Acme.test', 'alice-password-1', /Allow access/, CLIENTS.partner),
  };
  const passwordAs = async (email: string, password: string, expected: RegExp, client: TestClient = CLIENTS.web) => {
    const browser = new Browser(running.issuer);
    const { uid, page } = await passwordStep(browser, (await authorizationRequest(await relyingParty(running.issuer, client), client)).url, email, password);
    assert.match(page.body, expected);
    return { browser, uid };
  };

  for (const step of Object.keys(standAt) as Step[]) {
    it(`at ${step}: the routes of every other step answer 400`, async () => {
      const { browser, uid } = await standAt[step]();
      const elsewhere = running.idp.interactionRoutes.filter((route) => route.at !== 'any' && !route.at.includes(step));
      assert.ok(elsewhere.length > 5);
      for (const route of elsewhere) {
        const url = `/interaction/${uid}${route.path}`;
        const res = route.method === 'GET' ? await browser.get(url) : await browser.post(url, {});
        assert.equal(res.status, 400, `${route.method} ${route.path} at ${step}`);
        assert.match(res.body, /This step is not available right now/, `${route.method} ${route.path} at ${step}`);
      }
    });
  }

  it('the recovery code pages belong to enrollment only (the gap the route table closed)', () => {
    for (const path of ['/mfa/recovery-code', '/mfa/recovery-code/download']) {
      const routes = running.idp.interactionRoutes.filter((route) => route.path === path);
      assert.ok(routes.length > 0, path);
      for (const route of routes) assert.deepEqual(route.at, ['mfa_enroll'], `${route.method} ${path}`);
    }
    const unguarded = running.idp.interactionRoutes.filter((route) => route.at === 'any').map((route) => `${route.method} ${route.path}`);
    assert.deepEqual(unguarded.sort(), ['GET /', 'POST /abort']);
  });
});
