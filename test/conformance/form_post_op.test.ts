import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { basicOpPlan } from './basic_op.suite.ts';
import { ALICE, authorizationRequest, CERTIFICATION, codeFrom, formPostIn, send, signIn } from './helpers.ts';
import { discover, listed, redeem } from './tokens.ts';

/**
 * The Form Post OP plan (oidcc-formpost-basic-certification-test-plan) is the Basic OP plan with
 * `response_mode=form_post` on every module (the suite's changeResponseTypeToFormPost), so it runs
 * the same suite; the checks below are what only a form_post response has.
 */
describe('Form Post OP (oidcc-formpost-basic-certification-test-plan)', () => {
  describe('the form_post response itself', () => {
    let running: RunningIdp;
    const clock = manualClock();
    before(async () => {
      running = await startIdp({ kind: 'memory' }, { clock });
    });
    after(async () => {
      await running.close();
    });

    it('discovery lists form_post in response_modes_supported', async () => {
      assert.ok(listed(await discover(running.issuer), 'response_modes_supported').includes('form_post'));
    });

    it('oidcc-server [response_mode=form_post]: the page posts to the redirect URI, runs under its own CSP, and is not cached', async () => {
      const op = await discover(running.issuer);
      const browser = new Browser(running.issuer);
      const first = authorizationRequest(CERTIFICATION, 'form_post');
      await redeem(op, first, codeFrom(await signIn(browser, await send(browser, first), ALICE, clock), first, op.issuer));

      // Signed in: the authorization endpoint answers with the form_post page itself.
      const second = authorizationRequest(CERTIFICATION, 'form_post');
      const page = await browser.get(`/auth?${new URLSearchParams(second.params).toString()}`);
      assert.equal(page.status, 200);
      const form = formPostIn(page);
      assert.equal(form?.action, CERTIFICATION.redirectUri);
      assert.equal(form.params.get('state'), second.params['state']);
      assert.equal(form.params.get('iss'), running.issuer);
      assert.ok(form.params.get('code'));
      assert.match(page.headers.get('cache-control') ?? '', /no-store/, 'the code is not kept in a cache');

      // A browser runs the auto-submit script only if the CSP allows it, here by its hash.
      const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)?.[1];
      assert.ok(script !== undefined);
      const hash = createHash('sha256').update(script).digest('base64');
      assert.ok((page.headers.get('content-security-policy') ?? '').includes(`'sha256-${hash}'`), 'the CSP allows the form_post script');
    });
  });

  basicOpPlan('form_post');
});
