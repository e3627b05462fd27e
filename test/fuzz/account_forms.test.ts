import assert from 'node:assert/strict';
import { hashPassword } from '../../directory/passwords.ts';
import type { TotpRecord } from '../../mfa/store.ts';
import { csrfOf, SECURITY, stepUp } from '../helpers/account.ts';
import { ADA, ADMIN_SEED, DEE, follow, type Person } from '../helpers/admin.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { setupKeyIn, totpNow, uidIn } from '../helpers/mfa.ts';
import { formEnvelope, hostileString, nearly, queryString } from './arbitraries.ts';
import { fuzzForm, type FormTarget } from './forms.ts';
import { assertAlive, assertProductAnswer, fuzz, send, type Answer } from './harness.ts';
import { startFuzzWorld, type FuzzWorld } from './world.ts';

const VALID = 'QQVALIDQQ';
const CODES = nearly(VALID, '000000', '123456', '12345', ' 123 456 ');
const METHODS = nearly('totp', 'sms', 'recovery_code', '');
const NEXT = nearly('/account/security/app', '/account/security', '//evil.test', 'https://evil.test/', '/account/security/../../admin', '/account/security/%2e%2e');
const ADA_PHONE = '+447400123777';
const NEW_PHONE = '+447400123888';

interface Session {
  browser: Browser;
  csrf: string;
}

/**
 * Password & Security's forms (the step-up, the password change, the recovery code, the methods,
 * the phone and the app), each posted in a signed-in session with its CSRF token and, where a form
 * needs one, a fresh step-up, so the fuzz reaches the parsers and the use cases behind the guards.
 */
describe('fuzz: Password & Security forms', function () {
  this.timeout(120_000);
  let world: FuzzWorld;
  let adaApp: TotpRecord | undefined;

  before(async () => {
    world = await startFuzzWorld(ADMIN_SEED);
    for (const who of [ADA, DEE]) world.logs.secret('a password', who.password);
    world.logs.secret('a TOTP secret', ADA.secret);
    adaApp = await world.running.idp.stores.mfaFactors.getTotp(ADA.id);
  });
  after(async () => {
    await assertAlive(world.origin);
    await world.close();
  });

  /** Signs in to Password & Security: the password, then (with the chooser when there are two methods) the app's code. */
  async function signedIn(who: Person): Promise<Session & { page: Page }> {
    const browser = new Browser(world.origin);
    let page = await follow(browser, await browser.get(SECURITY));
    const uid = uidIn(page);
    await browser.post(`/interaction/${uid}/email`, { email: who.email });
    page = await follow(browser, await browser.post(`/interaction/${uid}/password`, { email: who.email, password: who.password }));
    if (who.secret !== undefined) {
      if (/How Do You Want to Verify Your Identity/.test(page.body)) page = await follow(browser, await browser.post(`/interaction/${uidIn(page)}/mfa/choose`, { method: 'totp' }));
      world.clock.advance(30_000);
      page = await follow(browser, await browser.post(`/interaction/${uidIn(page)}/mfa/verify`, { code: await totpNow(who.secret, world.clock) }));
    }
    assert.equal(page.status, 200, page.body.slice(0, 300));
    return { browser, csrf: csrfOf(page), page };
  }

  /** Ada as the seed made her (the app), with or without a phone, whatever the last run changed. */
  async function restoreAda(phone: boolean): Promise<void> {
    const { mfaFactors } = world.running.idp.stores;
    await mfaFactors.saveTotp(ADA.id, adaApp!, Math.floor(world.clock() / 30_000) - 10);
    if (phone) await mfaFactors.savePhone(ADA.id, { e164: ADA_PHONE, country: 'GB', createdAt: world.clock() });
    else await mfaFactors.removePhone(ADA.id);
  }

  /** Signed in and past the step-up for `path`: the page it shows. */
  async function steppedUp(who: Person, path: string): Promise<Session & { page: Page }> {
    const session = await signedIn(who);
    const page = await stepUp(session.browser, await session.browser.get(path), who, world.clock);
    return { ...session, page };
  }

  function target(session: Session, path: string, substitutions: Record<string, string> = {}): FormTarget {
    const cookie = session.browser.cookieHeader(path);
    world.logs.cookies(cookie);
    world.logs.secret('a CSRF token', session.csrf);
    for (const value of Object.values(substitutions)) world.logs.secret('a valid code or token', value);
    return { path, cookie, substitutions };
  }

  /** The CSRF token is the session's, and the generated inputs must carry it: a placeholder it is. */
  const CSRF = 'QQCSRFQQ';
  const csrfTarget = (session: Session, path: string, more: Record<string, string> = {}): FormTarget => target(session, path, { [CSRF]: session.csrf, ...more });

  it('the step-up: the password again, the method, the code', async () => {
    await fuzzForm(world, {
      runs: 30,
      envelope: formEnvelope({ fields: { password: nearly(ADA.password, 'wrong-password'), next: NEXT }, fixed: { _csrf: CSRF } }),
      target: async () => csrfTarget(await signedIn(ADA), `${SECURITY}/verify/password`),
      moved: () => false,
    });
    // Past the password, with the sign-in's MFA older than 15 minutes: the method, then its code.
    const atChooser = async (): Promise<Session> => {
      const session = await signedIn(ADA);
      world.clock.advance(16 * 60_000);
      const verify = await follow(session.browser, await session.browser.get(`${SECURITY}/app`));
      const chooser = await follow(session.browser, await session.browser.post(`${SECURITY}/verify/password`, { _csrf: csrfOf(verify), password: ADA.password, next: `${SECURITY}/app` }));
      assert.match(chooser.body, /Verification Code|Verify Your Identity/, chooser.body.slice(0, 300));
      return { browser: session.browser, csrf: csrfOf(chooser) };
    };
    await fuzzForm(world, {
      runs: 20,
      envelope: formEnvelope({ fields: { method: METHODS }, fixed: { _csrf: CSRF } }),
      target: async () => csrfTarget(await atChooser(), `${SECURITY}/verify/mfa/choose`),
    });
    await fuzzForm(world, {
      runs: 25,
      envelope: formEnvelope({ fields: { code: CODES }, fixed: { _csrf: CSRF } }),
      target: async () => {
        const session = await atChooser();
        world.clock.advance(30_000);
        return csrfTarget(session, `${SECURITY}/verify/mfa/verify`, { [VALID]: await totpNow(ADA.secret!, world.clock) });
      },
      moved: (answer: Answer) => answer.status === 303,
    });
  });

  it('the password change (the current password is often right, so the new one meets the rules)', async () => {
    const original = await world.running.idp.stores.directory.findUser(DEE.id);
    await fuzzForm(world, {
      runs: 30,
      envelope: formEnvelope({
        fields: { current_password: nearly(DEE.password, 'wrong-password'), new_password: nearly('a much longer passphrase 7', 'dee-password-2', DEE.email, 'Groundwork ID 2026 passphrase', 'password') },
        fixed: { _csrf: CSRF },
      }),
      target: async () => {
        // A change that went through is undone, so the next run signs in with the known password.
        await world.running.idp.stores.directory.saveUser({ ...original!, passwordHash: await hashPassword(DEE.password) });
        return csrfTarget(await steppedUp(DEE, `${SECURITY}/password`), `${SECURITY}/password`);
      },
      moved: (answer: Answer) => answer.status === 303,
    });
  });

  it('the recovery code: the request and the new code’s "I saved it"', async () => {
    const requestPage = async (): Promise<FormTarget> => {
      await restoreAda(false);
      const session = await steppedUp(ADA, `${SECURITY}/recovery-code`);
      const token = /name="token" value="([^"]+)"/.exec(session.page.body)?.[1];
      assert.ok(token, session.page.body.slice(0, 400));
      return csrfTarget(session, `${SECURITY}/recovery-code`, { QQTOKENQQ: token });
    };
    await fuzzForm(world, {
      runs: 20,
      envelope: formEnvelope({ fields: { token: nearly('QQTOKENQQ', 'x') }, fixed: { _csrf: CSRF } }),
      target: requestPage,
      moved: (answer: Answer) => answer.status === 303,
    });
    await fuzzForm(world, {
      runs: 15,
      envelope: formEnvelope({ fields: { saved: nearly('yes', 'no') }, fixed: { _csrf: CSRF } }),
      target: async () => {
        const session = await steppedUp(ADA, `${SECURITY}/recovery-code`);
        const token = /name="token" value="([^"]+)"/.exec(session.page.body)?.[1] ?? '';
        const issued = await follow(session.browser, await session.browser.post(`${SECURITY}/recovery-code`, { _csrf: session.csrf, token }));
        const code = /<code id="recovery-code">([0-9A-Z-]+)<\/code>/.exec(issued.body)?.[1];
        world.logs.secret('a recovery code', code);
        return csrfTarget(session, `${SECURITY}/mfa/recovery-code`);
      },
      moved: (answer: Answer) => answer.status === 303,
    });
  });

  it('Make preferred and Remove', async () => {
    for (const action of ['preferred', 'remove']) {
      await fuzzForm(world, {
        runs: 20,
        envelope: formEnvelope({ fields: { method: METHODS }, fixed: { _csrf: CSRF } }),
        target: async () => {
          // Whatever a Remove took, Ada has both methods again for the next run.
          await restoreAda(true);
          // Any page behind the step-up proves it for the session (15 minutes).
          return csrfTarget(await steppedUp(ADA, `${SECURITY}/recovery-code`), `${SECURITY}/methods/${action}`);
        },
        moved: (answer: Answer) => action === 'remove' && answer.status === 303,
      });
    }
  });

  it('the phone: the current phone’s code, the new number, its code', async () => {
    const atCurrentPhone = async (): Promise<Session> => {
      await restoreAda(true);
      const session = await steppedUp(ADA, `${SECURITY}/phone`);
      assert.match(session.page.body, /Confirm Your Current Phone Number/, session.page.body.slice(0, 300));
      return session;
    };
    await fuzzForm(world, {
      runs: 10,
      envelope: formEnvelope({ fields: { send: hostileString }, fixed: { _csrf: CSRF } }),
      target: async () => csrfTarget(await atCurrentPhone(), `${SECURITY}/phone/current/send`),
      moved: () => false,
    });
    const codeSent = async (): Promise<Session> => {
      const session = await atCurrentPhone();
      await session.browser.post(`${SECURITY}/phone/current/send`, { _csrf: session.csrf });
      return session;
    };
    await fuzzForm(world, {
      runs: 20,
      envelope: formEnvelope({ fields: { code: CODES }, fixed: { _csrf: CSRF } }),
      target: async () => csrfTarget(await codeSent(), `${SECURITY}/phone/current`, { [VALID]: world.twilio.lastCode(ADA_PHONE) }),
      moved: (answer: Answer) => answer.status === 303,
    });
    const atNewNumber = async (): Promise<Session> => {
      const session = await codeSent();
      const proved = await session.browser.post(`${SECURITY}/phone/current`, { _csrf: session.csrf, code: world.twilio.lastCode(ADA_PHONE) });
      assert.equal(proved.status, 303, proved.body.slice(0, 300));
      return session;
    };
    await fuzzForm(world, {
      runs: 20,
      envelope: formEnvelope({ fields: { country: nearly('GB', 'US', 'XX'), phone: nearly(NEW_PHONE, '+1 (201) 555-0143', '+999') }, fixed: { _csrf: CSRF } }),
      target: async () => csrfTarget(await atNewNumber(), `${SECURITY}/phone/mfa/sms`),
      moved: () => false,
    });
    await fuzzForm(world, {
      runs: 20,
      envelope: formEnvelope({ fields: { code: CODES }, fixed: { _csrf: CSRF } }),
      target: async () => {
        const session = await atNewNumber();
        const sent = await session.browser.post(`${SECURITY}/phone/mfa/sms`, { _csrf: session.csrf, country: 'GB', phone: NEW_PHONE });
        assert.equal(sent.status, 303, sent.body.slice(0, 300));
        return csrfTarget(session, `${SECURITY}/phone/mfa/sms/verify`, { [VALID]: world.twilio.lastCode(NEW_PHONE) });
      },
      moved: (answer: Answer) => answer.status === 303,
    });
  });

  it('the authenticator app’s setup (last: a success replaces Ada’s app)', async () => {
    await fuzzForm(world, {
      runs: 20,
      envelope: formEnvelope({ fields: { code: CODES }, fixed: { _csrf: CSRF } }),
      target: async () => {
        await restoreAda(false);
        const session = await steppedUp(ADA, `${SECURITY}/app`);
        const secret = setupKeyIn(session.page);
        world.logs.secret('a new TOTP secret', secret);
        return csrfTarget(session, `${SECURITY}/app/mfa/totp`, { [VALID]: await totpNow(secret, world.clock) });
      },
      moved: () => false,
    });
  });

  it('the sign-in callback’s query and Sign out', async () => {
    await fuzz(queryString({ fields: { code: hostileString, state: nearly('QQSTATEQQ'), error: nearly('access_denied'), iss: nearly(world.origin) } }), 20, async (query) => {
      const browser = new Browser(world.origin);
      const start = await browser.get(SECURITY);
      const state = new URL(start.location!).searchParams.get('state') ?? '';
      const path = `/account/callback?${query.replaceAll('QQSTATEQQ', state)}`;
      const answer = await send(world.origin, 'GET', path, { cookie: browser.cookieHeader('/account/callback') });
      assertProductAnswer(answer, `GET ${path}`);
    });
    await fuzzForm(world, {
      runs: 8,
      envelope: formEnvelope({ fields: {}, fixed: { _csrf: CSRF } }),
      target: async () => csrfTarget(await signedIn(DEE), '/account/logout'),
      moved: (answer: Answer) => answer.status === 303,
    });
  });

});
