import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { followRedirects, openAuthorization, submitCredentials } from '../helpers/flows.ts';
import { startIdp, type Backend, type RunningIdp } from '../helpers/idp.ts';
import { enrollTotp, ERIN_SECRET, passwordStep, totpNow } from '../helpers/mfa.ts';
import { sample, scrape, total, type Sample } from '../helpers/metrics.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type AuthRequest, type oidc } from '../helpers/rp.ts';
import { TestSmtpServer } from '../helpers/smtp.ts';
import { refresh } from '../helpers/token_endpoint.ts';
import { TwilioStub } from '../helpers/twilio_stub.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';
const HTTP = 'idp_http_request_duration_seconds_count';

/**
 * Real sign-ins through the app, then a scrape of /metrics: each counter and histogram moved once
 * per event, with the labels docs/metrics.md gives, and no id of any kind in a label.
 */
export function metricsSuite(backend: () => Backend): void {
  const twilio = new TwilioStub();
  const smtp = new TestSmtpServer();
  let clock: ReturnType<typeof manualClock>;
  let running: RunningIdp;
  let runningOn: Backend;
  let rp: oidc.Configuration;
  const start = async (env: Record<string, string> = {}, smtpUrl = smtp.url) => {
    runningOn = backend();
    running = await startIdp(runningOn, { clock, smtpUrl, env: { ...twilio.env, METRICS_TOKEN, ...env } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  };
  const metrics = async (): Promise<Sample[]> => (await scrape(running.issuer, METRICS_TOKEN)).samples;

  before(async () => {
    await twilio.start();
    await smtp.start();
  });
  after(async () => {
    await twilio.stop();
    await smtp.stop();
  });
  beforeEach(() => {
    clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
    twilio.mode = 'ok';
  });
  afterEach(async () => {
    await running.close();
  });

  const tokensFor = async (browser: Browser, request: AuthRequest, page: Page) => {
    const { callback, page: stopped } = await followRedirects(browser, page);
    assert.ok(callback, `expected a code, stopped at ${stopped.status}: ${stopped.body.slice(0, 300)}`);
    return exchangeCode(rp, callback, request);
  };

  it('password + TOTP and password + SMS sign-ins, a wrong password and code, a reused refresh token: counted with their labels, no ids in routes', async () => {
    await start();
    const uids: string[] = [];

    // Erin: the password, a wrong code, the right one; a refresh token used twice.
    const erin = new Browser(running.issuer);
    const erinRequest = await authorizationRequest(rp, CLIENTS.web, { scope: 'openid offline_access', prompt: 'consent' });
    const { uid } = await passwordStep(erin, erinRequest.url, 'erin@summit.test', 'erin-password-1');
    uids.push(uid);
    assert.equal((await erin.post(`/interaction/${uid}/mfa/verify`, { code: '000000' })).status, 401);
    const tokens = await tokensFor(erin, erinRequest, await erin.post(`/interaction/${uid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) }));
    assert.ok(tokens.refresh_token, 'a refresh token');
    assert.equal((await refresh(running.issuer, CLIENTS.web, tokens.refresh_token)).status, 200);
    const replayed = await refresh(running.issuer, CLIENTS.web, tokens.refresh_token);
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body['error'], 'invalid_grant');

    // Sam: the password, then a text.
    const sam = new Browser(running.issuer);
    const samRequest = await authorizationRequest(rp, CLIENTS.web);
    const { uid: samUid } = await passwordStep(sam, samRequest.url, 'sam@summit.test', 'sam-password-12');
    uids.push(samUid);
    assert.equal((await sam.post(`/interaction/${samUid}/mfa/choose`, { method: 'sms' })).status, 303);
    await tokensFor(sam, samRequest, await sam.post(`/interaction/${samUid}/mfa/sms/code`, { code: twilio.lastCode('+12015550123') }));

    // Alice: a wrong password.
    const alice = new Browser(running.issuer);
    const aliceRequest = await authorizationRequest(rp, CLIENTS.web);
    const wrong = await passwordStep(alice, aliceRequest.url, 'alice@acme.test', 'not-her-password');
    assert.equal(wrong.page.status, 401);

    const { text, samples } = await scrape(running.issuer, METRICS_TOKEN);
    assert.equal(sample(samples, 'idp_logins_total', { method: 'password', result: 'success' }), 2);
    assert.equal(sample(samples, 'idp_logins_total', { method: 'password', result: 'invalid' }), 1);
    assert.equal(sample(samples, 'idp_mfa_challenges_total', { factor: 'totp', result: 'failed' }), 1);
    assert.equal(sample(samples, 'idp_mfa_challenges_total', { factor: 'totp', result: 'success' }), 1);
    assert.equal(sample(samples, 'idp_mfa_challenges_total', { factor: 'sms', result: 'success' }), 1);
    assert.equal(sample(samples, 'idp_security_events_total', { type: 'mfa.challenge_succeeded' }), 2);
    assert.equal(sample(samples, 'idp_security_events_total', { type: 'mfa.challenge_failed' }), 1);
    assert.equal(sample(samples, 'idp_sms_sent_total', { purpose: 'login', country: 'US' }), 1);
    assert.equal(sample(samples, 'idp_sms_verified_total', { purpose: 'login', country: 'US' }), 1);
    assert.equal(sample(samples, 'idp_token_reuse_detected_total', { grant_type: 'refresh_token' }), 1);

    // Requests by the route they matched: oidc-provider's and ours, with the status class.
    assert.equal(sample(samples, HTTP, { route: '/interaction/:uid/password', method: 'POST', status_class: '3xx' }), 2);
    assert.equal(sample(samples, HTTP, { route: '/interaction/:uid/password', method: 'POST', status_class: '4xx' }), 1);
    assert.equal(sample(samples, HTTP, { route: '/interaction/:uid/mfa/verify', method: 'POST', status_class: '4xx' }), 1);
    assert.equal(sample(samples, HTTP, { route: '/token', method: 'POST', status_class: '4xx' }), 1);
    assert.ok((sample(samples, HTTP, { route: '/token', method: 'POST', status_class: '2xx' }) ?? 0) >= 3);
    assert.ok((sample(samples, HTTP, { route: '/auth/:uid', method: 'GET', status_class: '3xx' }) ?? 0) >= 3);
    assert.ok((sample(samples, HTTP, { route: '/auth', method: 'GET', status_class: '3xx' }) ?? 0) >= 3);
    const routes = new Set(samples.filter((s) => s.name === HTTP).map((s) => s.labels['route']!));
    for (const route of routes) {
      // A template: fixed words, :params and a final * (a guard's answer), or the one label for everything else.
      assert.match(route, /^(other|\/|(\/(:[a-zA-Z]+|[a-z0-9._-]+|\*))+)$/, route);
    }
    for (const id of [...uids, 'usr_erin', 'usr_sam', 'usr_alice', tokens.refresh_token]) assert.ok(!text.includes(id), `${id} in the metrics`);

    // argon2 verifies: three sign-ins (other apps in this process may add theirs: the channel is global).
    assert.ok(total(samples, 'idp_password_verify_duration_seconds_count') >= 3);
    if (runningOn.kind === 'redis') {
      const commands = samples.filter((s) => s.name === 'idp_redis_command_duration_seconds_count' && s.value > 0).map((s) => s.labels['command']!);
      assert.ok(commands.includes('EVALSHA') || commands.includes('EVAL'), commands.join(','));
      for (const command of commands) assert.match(command, /^[A-Z.]+$/);
    }
    assert.equal(sample(samples, 'idp_mail_queue_depth'), 0);
    assert.equal(sample(samples, 'idp_mail_queue_oldest_age_seconds'), 0);
  });

  it('lockouts, an enrollment, a recovery code and a reset are counted; unsent email shows as a backlog that ages', async () => {
    // Nothing listens on port 1: every email fails and waits for its retry.
    await start({ LOGIN_ACCOUNT_MAX_FAILURES: '2', MFA_MAX_FAILURES: '2' }, 'smtp://127.0.0.1:1');

    // Alice: two wrong passwords lock the account; the next attempt is refused unchecked.
    const alice = new Browser(running.issuer);
    const { uid: aliceUid } = await openAuthorization(alice, (await authorizationRequest(rp, CLIENTS.web)).url);
    for (let i = 0; i < 2; i++) assert.equal((await submitCredentials(alice, aliceUid, 'alice@acme.test', 'wrong-password')).status, 401);
    assert.equal((await submitCredentials(alice, aliceUid, 'alice@acme.test', 'alice-password-1')).status, 429);

    // Fred: enrolls an app, then signs in elsewhere with the recovery code.
    const fred = new Browser(running.issuer);
    const { uid: fredUid } = await passwordStep(fred, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    const { recoveryCode } = await enrollTotp(fred, fredUid, clock);
    const phone = new Browser(running.issuer);
    const { uid: phoneUid } = await passwordStep(phone, (await authorizationRequest(rp, CLIENTS.web)).url, 'fred@summit.test', 'fred-password-1');
    assert.equal((await phone.post(`/interaction/${phoneUid}/mfa/recovery`, { recovery_code: recoveryCode })).status, 303);

    // Erin: two wrong codes lock her MFA step; a code in a new sign-in is refused unchecked.
    const erin = new Browser(running.issuer);
    const { uid: erinUid } = await passwordStep(erin, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1');
    assert.equal((await erin.post(`/interaction/${erinUid}/mfa/verify`, { code: '000000' })).status, 401);
    assert.equal((await erin.post(`/interaction/${erinUid}/mfa/verify`, { code: '000001' })).status, 429);
    const again = new Browser(running.issuer);
    const { uid: againUid } = await passwordStep(again, (await authorizationRequest(rp, CLIENTS.web)).url, 'erin@summit.test', 'erin-password-1');
    assert.equal((await again.post(`/interaction/${againUid}/mfa/verify`, { code: await totpNow(ERIN_SECRET, clock) })).status, 429);

    // Support resets Hank's MFA.
    assert.ok(await running.idp.admin.supportReset('hank@summit.test', 'ticket 1: lost phone, identity checked', { ip: 'command line', userAgent: 'test' }));

    await running.idp.mail.drain();
    clock.advance(120_000);
    const samples = await metrics();
    assert.equal(sample(samples, 'idp_lockouts_total', { kind: 'login', scope: 'account' }), 1);
    assert.equal(sample(samples, 'idp_logins_total', { method: 'password', result: 'throttled' }), 1);
    assert.equal(sample(samples, 'idp_lockouts_total', { kind: 'mfa', scope: 'account' }), 1);
    assert.equal(sample(samples, 'idp_mfa_challenges_total', { factor: 'totp', result: 'locked' }), 1);
    assert.equal(sample(samples, 'idp_mfa_enrollments_total', { factor: 'totp', change: 'new' }), 1);
    assert.equal(sample(samples, 'idp_recovery_codes_used_total'), 1);
    assert.equal(sample(samples, 'idp_mfa_challenges_total', { factor: 'recovery_code', result: 'success' }), 1);
    assert.equal(sample(samples, 'idp_mfa_resets_total', { by: 'support' }), 1);

    // Emails for the enrollment, the code issued and used, the lock and the reset: none could go.
    const depth = sample(samples, 'idp_mail_queue_depth') ?? 0;
    assert.ok(depth >= 4, `depth ${depth}`);
    assert.equal(total(samples, 'idp_mail_deliveries_total', { outcome: 'sent' }), 0);
    assert.ok(total(samples, 'idp_mail_deliveries_total', { outcome: 'retry' }) >= depth);
    const age = sample(samples, 'idp_mail_queue_oldest_age_seconds') ?? 0;
    assert.ok(age >= 120 && age < 130, `oldest age ${age}`);
  });
}
