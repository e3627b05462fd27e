import { Browser } from '../helpers/browser.ts';
import { openAuthorization } from '../helpers/flows.ts';
import { TEST_SEED } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, relyingParty, type TestClient } from '../helpers/rp.ts';
import { landOnPage, uidIn } from '../helpers/mfa.ts';
import fc from 'fast-check';
import { BODY_LIMIT, envelopeOf, FORM, formEnvelope, hostileString, nearly, queryString } from './arbitraries.ts';
import { fuzzForm, type FormTarget } from './forms.ts';
import { assertAlive, assertProductAnswer, fuzz, send } from './harness.ts';
import { startFuzzWorld, type FuzzWorld } from './world.ts';

/** Emails that lead somewhere: known, unknown, disabled, internationalized; the fuzz mangles them. */
const EMAILS = nearly('erin@summit.test', 'Alice@Acme.test', 'nobody@acme.test', 'dana@acme.test', 'zoë@例え.テスト', 'bob@acme.test');

/**
 * The login screens and the interaction's other forms (consent, cancel), each posted to a live
 * interaction at the step it belongs to, with hostile input of every kind.
 */
describe('fuzz: login, consent and cancel forms', function () {
  this.timeout(120_000);
  let world: FuzzWorld;

  before(async () => {
    world = await startFuzzWorld(TEST_SEED);
  });
  after(async () => {
    await assertAlive(world.origin);
    await world.close();
  });

  /** A new interaction of `client` at the login step. */
  async function loginStep(client: TestClient = CLIENTS.web): Promise<{ browser: Browser; uid: string }> {
    const browser = new Browser(world.origin);
    const rp = await relyingParty(world.origin, client);
    const { uid } = await openAuthorization(browser, (await authorizationRequest(rp, client)).url);
    return { browser, uid };
  }

  function formOf(browser: Browser, path: string): FormTarget {
    const cookie = browser.cookieHeader(path);
    world.logs.cookies(cookie);
    return { path, cookie };
  }

  it('the email form', async () => {
    await fuzzForm(world, {
      runs: 60,
      envelope: formEnvelope({ fields: { email: EMAILS } }),
      examples: [
        // Found by this fuzz: a body whose brotli or gzip stream is broken was a 500 (zlib's error has no status).
        envelopeOf('broken brotli', { 'content-type': FORM, 'content-encoding': 'br' }, 'email=a%40b.test'),
        envelopeOf('broken gzip', { 'content-type': FORM, 'content-encoding': 'gzip' }, 'email=a%40b.test'),
        // Found by this fuzz: the 413 page showed the body parser's "request entity too large".
        envelopeOf('just over the limit', { 'content-type': FORM }, `email=${'x'.repeat(BODY_LIMIT + 1)}`),
      ],
      target: async () => {
        const { browser, uid } = await loginStep();
        return formOf(browser, `/interaction/${uid}/email`);
      },
    });
  });

  it('the password form', async () => {
    world.logs.secret('erin’s password', 'erin-password-1');
    await fuzzForm(world, {
      runs: 60,
      envelope: formEnvelope({ fields: { email: EMAILS, password: nearly('erin-password-1', 'wrong-password', 'pässwörd 🔑') } }),
      target: async () => {
        const { browser, uid } = await loginStep();
        return formOf(browser, `/interaction/${uid}/password`);
      },
    });
  });

  it('the SSO callback’s query, at /sso/callback and within a live interaction', async () => {
    const query = queryString({ fields: { code: hostileString, state: hostileString, error: nearly('access_denied', 'login_required'), error_description: hostileString, iss: nearly('https://idp.corp.example') } });
    await fuzz(fc.tuple(query, fc.boolean()), 30, async ([q, within]) => {
      const { browser, uid } = await loginStep();
      const path = within ? `/interaction/${uid}/sso/callback?${q}` : `/sso/callback?${q}`;
      world.logs.cookies(browser.cookieHeader(path));
      assertProductAnswer(await send(world.origin, 'GET', path, { cookie: browser.cookieHeader(path) }), `GET ${path}`);
    });
  });

  it('the consent screen (a third-party app) and its cancel', async () => {
    world.logs.secret('bob’s password', 'bob-password-12');
    const atConsent = async (): Promise<{ browser: Browser; uid: string }> => {
      const { browser, uid } = await loginStep(CLIENTS.partner);
      await browser.post(`/interaction/${uid}/email`, { email: 'bob@acme.test' });
      const page = await landOnPage(browser, await browser.post(`/interaction/${uid}/password`, { email: 'bob@acme.test', password: 'bob-password-12' }));
      return { browser, uid: uidIn(page) };
    };
    for (const action of ['consent', 'abort']) {
      await fuzzForm(world, {
        runs: 15,
        envelope: formEnvelope({ fields: { decision: hostileString } }),
        target: async () => {
          const { browser, uid } = await atConsent();
          return formOf(browser, `/interaction/${uid}/${action}`);
        },
      });
    }
  });
});
