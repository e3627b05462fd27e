import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { ERIN_SECRET, landOnPage, passwordStep, totpNow, uidIn } from '../helpers/mfa.ts';
import { authorizationRequest, CLIENTS, relyingParty } from '../helpers/rp.ts';
import type { oidc } from '../helpers/rp.ts';

/** No authorization code without MFA when MFA is due, whichever way the browser goes. */
describe('MFA cannot be bypassed', () => {
  const clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  let running: RunningIdp;
  let rp: oidc.Configuration;
  before(async () => {
    running = await startIdp({ kind: 'memory' }, { clock });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  after(async () => {
    await running.close();
  });

  /** Erin has passed the password and stands at the MFA challenge. */
  const atChallenge = async (browser = new Browser(running.issuer)) => {
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid, page } = await passwordStep(browser, request.url, 'erin@summit.test', 'erin-password-1');
    assert.match(page.body, /Enter Your 6-digit Verification Code/);
    return { browser, uid, request };
  };

  it('posting to later steps directly is refused', async () => {
    const { browser, uid } = await atChallenge();
    const attempts = [
      browser.post(`/interaction/${uid}/consent`, {}),
      browser.post(`/interaction/${uid}/password`, { email: 'erin@summit.test', password: 'erin-password-1' }),
      browser.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' }),
      browser.get(`/interaction/${uid}/mfa/recovery-code`),
      browser.get(`/interaction/${uid}/mfa/methods`),
      browser.get(`/interaction/${uid}/mfa/totp`),
      browser.post(`/interaction/${uid}/mfa/totp`, { code: '123456' }),
      browser.post(`/interaction/${uid}/mfa/skip`, {}),
    ];
    for (const res of await Promise.all(attempts)) assert.equal(res.status, 400, res.body.slice(0, 200));
    assert.equal(await running.idp.stores.mfaFactors.getTotp('usr_erin').then((t) => t !== undefined), true, 'enrollment was not touched');
  });

  it('replaying the resume URL does not skip the challenge', async () => {
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await openAuthorization(browser, request.url);
    const afterPassword = await submitCredentials(browser, uid, 'erin@summit.test', 'erin-password-1');
    const resumeUrl = afterPassword.location!;
    assert.match(resumeUrl, /\/auth\/[\w-]+$/);
    await landOnPage(browser, afterPassword);
    const replay = await followRedirects(browser, await browser.get(resumeUrl));
    assert.equal(replay.callback, undefined, 'no code');
    assert.equal(replay.page.status, 400);
  });

  it('an interaction id taken to another browser is refused', async () => {
    const { uid } = await atChallenge();
    const other = new Browser(running.issuer);
    await atChallenge(other);
    const swapped = await other.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) });
    assert.equal(swapped.status, 400);
    assert.match(swapped.body, /Your sign-in has expired/);
  });

  it('an abandoned challenge leaves a session that still needs MFA for any new request', async () => {
    const { browser } = await atChallenge();
    for (const client of [CLIENTS.web, CLIENTS.partner]) {
      const clientRp = await relyingParty(running.issuer, client);
      const request = await authorizationRequest(clientRp, client);
      const { callback, page } = await followRedirects(browser, await browser.get(request.url.href));
      assert.equal(callback, undefined);
      assert.match(page.body, /Enter Your 6-digit Verification Code/);
    }
    const silent = await browser.get((await authorizationRequest(rp, CLIENTS.web, { prompt: 'none' })).url.href);
    assert.equal(new URL(silent.location!).searchParams.get('error'), 'interaction_required');
  });

  it('an unknown method or a forged form field does not help', async () => {
    const { browser, uid } = await atChallenge();
    const forged = await browser.post(`/interaction/${uid}/mfa/verify`, { method: 'none', code: '', mfa: 'true', amr: 'mfa' });
    assert.equal(forged.status, 401);
    const page = await landOnPage(browser, await browser.get(`/interaction/${uid}`));
    assert.equal(uidIn(page), uid);
    assert.match(page.body, /Enter Your 6-digit Verification Code/);
  });
});
