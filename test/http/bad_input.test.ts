import assert from 'node:assert/strict';
import request from 'supertest';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { openAuthorization } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';

/** Bad input of every kind gets a clear 4xx page or an OAuth error, never a 5xx. */
describe('bad input', () => {
  const clock = manualClock();
  let running: RunningIdp;
  let browser: Browser;
  let uid: string;

  before(async () => {
    running = await startIdp({ kind: 'memory' }, { clock });
  });
  after(async () => {
    await running.close();
  });
  beforeEach(async () => {
    browser = new Browser(running.issuer);
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    ({ uid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url));
  });

  it('missing fields re-render the step with a 400', async () => {
    const email = await browser.post(`/interaction/${uid}/email`, {});
    assert.equal(email.status, 400);
    assert.match(email.body, /role="alert"/);
    const password = await browser.post(`/interaction/${uid}/password`, { email: 'alice@acme.test' });
    assert.equal(password.status, 400);
    assert.match(password.body, /Please fill in every field|Enter your password/);
  });

  it('a malformed email is refused with a message, not an error', async () => {
    const page = await browser.post(`/interaction/${uid}/email`, { email: 'not an email' });
    assert.equal(page.status, 400);
    assert.match(page.body, /Enter a valid email address/);
  });

  it('a 10 MB body gets a 413 page and the interaction survives', async () => {
    const res = await request(running.issuer)
      .post(`/interaction/${uid}/password`)
      .set('Cookie', browser.cookieHeader(`/interaction/${uid}/password`))
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(`email=a%40b.test&password=${'x'.repeat(10 * 1024 * 1024)}`);
    assert.equal(res.status, 413);
    assert.match(res.text, /Too much data/);
    assert.equal((await browser.get(`/interaction/${uid}`)).status, 200, 'nothing was lost');
  });

  it('unicode input is handled as data', async () => {
    const email = await browser.post(`/interaction/${uid}/email`, { email: 'zoë@例え.テスト' });
    assert.equal(email.status, 200);
    assert.match(email.body, /zoë@例え.テスト/);
    const password = await browser.post(`/interaction/${uid}/password`, { email: 'zoë@例え.テスト', password: 'pässwörd 🔑 \u0000' });
    assert.equal(password.status, 401);
  });

  it('HTML in input is escaped', async () => {
    const page = await browser.post(`/interaction/${uid}/email`, { email: '"><script>x</script>@a.test' });
    assert.ok(!page.body.includes('<script>x</script>'));
  });

  it('a JSON body is not a form: 400, not 500', async () => {
    const res = await request(running.issuer)
      .post(`/interaction/${uid}/email`)
      .set('Cookie', browser.cookieHeader(`/interaction/${uid}/email`))
      .send({ email: 'alice@acme.test' });
    assert.equal(res.status, 400);
  });

  it('a wrong uid gets the "start again" page', async () => {
    const page = await browser.get('/interaction/not-a-real-uid');
    assert.equal(page.status, 400);
    assert.match(page.body, /Your sign-in has expired/);
    assert.match(page.body, /Start again/);
    const post = await browser.post('/interaction/not-a-real-uid/password', { email: 'a@b.test', password: 'x' });
    assert.equal(post.status, 400);
  });

  it('an expired interaction gets the "start again" page', async () => {
    clock.advance(15 * 60 * 1000 + 1000);
    const page = await browser.get(`/interaction/${uid}`);
    assert.equal(page.status, 400);
    assert.match(page.body, /Your sign-in has expired/);
    assert.doesNotMatch(page.body, /at .*\.js:\d+/, 'no stack trace');
  });

  it('posting to a later step directly is refused', async () => {
    const res = await browser.post(`/interaction/${uid}/consent`, {});
    assert.equal(res.status, 400);
    assert.match(res.body, /not available/);
  });

  it('an unknown route is a branded 404; an unknown client is an OAuth error page', async () => {
    const missing = await request(running.issuer).get('/no/such/page').set('Accept', 'text/html');
    assert.equal(missing.status, 404);
    assert.match(missing.text, /Page not found/);
    const auth = await request(running.issuer).get('/auth?client_id=nobody&response_type=code&scope=openid').set('Accept', 'text/html');
    assert.equal(auth.status, 400);
    assert.match(auth.text, /We could not sign you in/);
  });

  it('every page carries the security headers', async () => {
    const res = await request(running.issuer).get(`/interaction/${uid}`).set('Cookie', browser.cookieHeader(`/interaction/${uid}`));
    assert.equal(res.status, 200);
    const csp = res.headers['content-security-policy'] ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.doesNotMatch(res.text, /<script/);
  });
});
