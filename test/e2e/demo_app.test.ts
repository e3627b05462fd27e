import assert from 'node:assert/strict';
import { Browser, type Page } from '../helpers/browser.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';

/** What `npm start` offers a newcomer: /demo logs in through the built-in relying app and shows the claims. */
describe('demo app', () => {
  let running: RunningIdp;
  before(async () => {
    running = await startIdp({ kind: 'memory' }, { env: { SEED_FILE: 'seed/demo.json' } });
  });
  after(async () => {
    await running.close();
  });

  const follow = async (browser: Browser, page: Page): Promise<Page> => {
    let current = page;
    for (let i = 0; i < 10 && (current.status === 302 || current.status === 303); i++) current = await browser.get(current.location!);
    return current;
  };

  it('logs bob (no MFA) in and shows his ID token claims', async () => {
    const browser = new Browser(running.issuer);
    const emailPage = await follow(browser, await browser.get('/demo'));
    assert.equal(emailPage.status, 200);
    const uid = /action="\/interaction\/([\w-]+)\/email"/.exec(emailPage.body)?.[1];
    assert.ok(uid);
    await browser.post(`/interaction/${uid}/email`, { email: 'bob.builder@bayside.test' });
    const result = await follow(browser, await browser.post(`/interaction/${uid}/password`, { email: 'bob.builder@bayside.test', password: 'correct horse battery' }));
    assert.equal(result.status, 200, /<p class="alert"[^>]*>([^<]*)/.exec(result.body)?.[1]);
    assert.match(result.body, /You are logged in/);
    assert.match(result.body, /&#34;amr&#34;: \[\s*&#34;pwd&#34;/);
    assert.match(result.body, /usr_demo_bob/);
  });

  it('the landing page links to the demo', async () => {
    const home = await new Browser(running.issuer).get('/');
    assert.equal(home.status, 200);
    assert.match(home.body, /href="\/demo"/);
  });
});
