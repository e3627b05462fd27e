import assert from 'node:assert/strict';
import { Browser, type Page } from '../helpers/browser.ts';
import { openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { TEST_SEED } from '../helpers/idp.ts';
import { ERIN_SECRET, HANK_SECRET, landOnPage, recoveryCodeIn, setupKeyIn, totpNow, uidIn } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';
import { formEnvelope, hostileString, nearly } from './arbitraries.ts';
import { fuzzForm, leftTheStep, type FormTarget } from './forms.ts';
import { assertAlive, type Answer } from './harness.ts';
import { startFuzzWorld, type FuzzWorld } from './world.ts';

/** Stands for the code that is valid right now (the app's, or the last text's); replaced when the request is sent. */
const VALID = 'QQVALIDQQ';
const CODES = nearly(VALID, '000000', '123456', '12345', '1234567', ' 123 456 ', '１２３４５６');
const HANK_PHONE = '+447400123456';
const NEW_PHONE = '+447400123999';
const COUNTRIES = nearly('GB', 'US', 'FR', 'XX', '');
const PHONES = nearly(NEW_PHONE, '07400 123998', '+1 (201) 555-0143', '+12015550142', '+33612345678', '+999', '+447400123456');
const METHODS = nearly('totp', 'sms', 'recovery_code', 'webauthn');

interface At {
  browser: Browser;
  uid: string;
  page: Page;
}

/**
 * The MFA screens at sign-in, each in the state it is used in: the challenge (the app's code, the
 * chooser, the text message's code, a recovery code), the first setup (the app, the phone and its
 * code, "Skip for now", the recovery code to save), with hostile input of every kind. A valid code
 * is among the inputs (with hostile company) so the paths after a success are fuzzed too.
 */
describe('fuzz: MFA challenge and enrollment forms', function () {
  this.timeout(120_000);
  let world: FuzzWorld;

  before(async () => {
    world = await startFuzzWorld(TEST_SEED);
    for (const [what, value] of [['a password', 'erin-password-1'], ['a password', 'hank-password-1'], ['a password', 'fred-password-1'], ['a password', 'gina-password-1'], ['a TOTP secret', ERIN_SECRET], ['a TOTP secret', HANK_SECRET]] as const) world.logs.secret(what, value);
  });
  after(async () => {
    await assertAlive(world.origin);
    await world.close();
  });

  /** A new browser past the password: the page the sign-in lands on (a challenge, a setup) and its interaction. */
  async function afterPassword(email: string, password: string): Promise<At> {
    const browser = new Browser(world.origin);
    const rp = await relyingParty(world.origin, CLIENTS.web);
    const { uid: loginUid } = await openAuthorization(browser, (await authorizationRequest(rp, CLIENTS.web)).url);
    const page = await landOnPage(browser, await submitCredentials(browser, loginUid, email, password));
    assert.equal(page.status, 200, page.body.slice(0, 300));
    return { browser, uid: uidIn(page), page };
  }

  function target(at: At, path: string, substitutions: Record<string, string> = {}): FormTarget {
    const full = `/interaction/${at.uid}/${path}`;
    const cookie = at.browser.cookieHeader(full);
    world.logs.cookies(cookie);
    for (const value of Object.values(substitutions)) world.logs.secret('a valid code', value);
    return { path: full, cookie, substitutions };
  }

  /** The app's code now, at a time step no earlier code used. */
  async function freshTotp(secret: string): Promise<Record<string, string>> {
    world.clock.advance(30_000);
    return { [VALID]: await totpNow(secret, world.clock) };
  }

  /** Fred, whose company requires MFA, with nothing set up: every run of a setup starts from scratch. */
  async function fredEnrolling(): Promise<At> {
    await world.running.idp.mfa.resetAllFactors('usr_fred');
    return afterPassword('fred@summit.test', 'fred-password-1');
  }

  it('the authenticator app’s code at sign-in', async () => {
    await fuzzForm(world, {
      runs: 40,
      envelope: formEnvelope({ fields: { code: CODES } }),
      target: async () => target(await afterPassword('erin@summit.test', 'erin-password-1'), 'mfa/verify', await freshTotp(ERIN_SECRET)),
    });
  });

  it('the chooser, the text message’s code and the recovery code at sign-in', async () => {
    await fuzzForm(world, {
      runs: 25,
      envelope: formEnvelope({ fields: { method: METHODS } }),
      target: async () => target(await afterPassword('hank@summit.test', 'hank-password-1'), 'mfa/choose'),
    });
    await fuzzForm(world, {
      runs: 30,
      envelope: formEnvelope({ fields: { code: CODES } }),
      target: async () => {
        const at = await afterPassword('hank@summit.test', 'hank-password-1');
        const sent = await at.browser.post(`/interaction/${at.uid}/mfa/choose`, { method: 'sms' });
        assert.equal(sent.status, 303, sent.body.slice(0, 300));
        return target(at, 'mfa/sms/code', { [VALID]: world.twilio.lastCode(HANK_PHONE) });
      },
    });
    await fuzzForm(world, {
      runs: 25,
      envelope: formEnvelope({ fields: { recovery_code: nearly('ABCD-EFGH-JKLM-NPQR-STUV-WXYZ', '0000-0000') } }),
      target: async () => target(await afterPassword('hank@summit.test', 'hank-password-1'), 'mfa/recovery'),
    });
  });

  it('setting up the authenticator app', async () => {
    await fuzzForm(world, {
      runs: 25,
      envelope: formEnvelope({ fields: { code: CODES } }),
      target: async () => {
        const at = await fredEnrolling();
        const setup = await at.browser.get(`/interaction/${at.uid}/mfa/totp`);
        const secret = setupKeyIn(setup);
        world.logs.secret('a new TOTP secret', secret);
        return target(at, 'mfa/totp', { [VALID]: await totpNow(secret, world.clock) });
      },
      moved: (answer: Answer) => leftTheStep(answer) || /recovery-code$/.test(answer.headers.get('location') ?? ''),
    });
  });

  it('setting up a phone: the number, its code, a new code', async () => {
    await fuzzForm(world, {
      runs: 25,
      envelope: formEnvelope({ fields: { country: COUNTRIES, phone: PHONES } }),
      target: async () => target(await fredEnrolling(), 'mfa/sms'),
    });
    const phoneSent = async (): Promise<At> => {
      const at = await fredEnrolling();
      const sent = await at.browser.post(`/interaction/${at.uid}/mfa/sms`, { country: 'GB', phone: NEW_PHONE });
      assert.equal(sent.status, 303, sent.body.slice(0, 300));
      return at;
    };
    await fuzzForm(world, {
      runs: 25,
      envelope: formEnvelope({ fields: { code: CODES } }),
      target: async () => {
        const at = await phoneSent();
        return target(at, 'mfa/sms/verify', { [VALID]: world.twilio.lastCode(NEW_PHONE) });
      },
      moved: (answer: Answer) => leftTheStep(answer) || /recovery-code$/.test(answer.headers.get('location') ?? ''),
    });
    await fuzzForm(world, {
      runs: 10,
      envelope: formEnvelope({ fields: { resend: hostileString } }),
      target: async () => target(await phoneSent(), 'mfa/sms/resend'),
    });
  });

  it('saving the new recovery code', async () => {
    await fuzzForm(world, {
      runs: 15,
      envelope: formEnvelope({ fields: { saved: nearly('yes', 'no', 'on') } }),
      target: async () => {
        const at = await fredEnrolling();
        const setup = await at.browser.get(`/interaction/${at.uid}/mfa/totp`);
        const confirmed = await at.browser.post(`/interaction/${at.uid}/mfa/totp`, { code: await totpNow(setupKeyIn(setup), world.clock) });
        assert.equal(confirmed.status, 303, confirmed.body.slice(0, 300));
        world.logs.secret('a recovery code', recoveryCodeIn(await at.browser.get(confirmed.location!)));
        return target(at, 'mfa/recovery-code');
      },
    });
  });

  it('"Skip for now" and the stale setup screen’s Continue', async () => {
    for (const path of ['mfa/skip', 'mfa/resume']) {
      await fuzzForm(world, {
        runs: 10,
        envelope: formEnvelope({ fields: { skip: hostileString } }),
        target: async () => target(await afterPassword('gina@harbor.test', 'gina-password-1'), path),
      });
    }
  });
});
