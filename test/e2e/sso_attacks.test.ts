import assert from 'node:assert/strict';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects, CLIENT_ORIGIN } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty, type AuthRequest, type oidc } from '../helpers/rp.ts';
import { CORP_SECRET, enterEmail, LOCAL_SECRET, startSsoWorld, type SsoWorld } from '../helpers/sso.ts';
import { loginUpstream, UPSTREAM_ACR, type UpstreamIdp } from '../helpers/upstream_idp.ts';

/**
 * Attacks on upstream SSO that must keep failing: login CSRF and code injection, the callback hop,
 * reflected upstream input, email look-alikes, cross-company links, steps and passwords. The findings
 * of the same review are fixed and tested in sso_flow.suite.ts. Memory backend.
 */

const UPSTREAM_USERS = [
  { username: 'ann', sub: 'up-ann', email: 'ann@corp.test', emailVerified: true, password: 'ann-upstream' },
  { username: 'mallory', sub: 'up-mallory', email: 'mallory@corp.test', emailVerified: true, password: 'mallory-upstream' },
  { username: 'lee', sub: 'up-lee', email: 'lee@local.test', emailVerified: true, password: 'lee-upstream' },
  // Someone at corp's IdP whose email can be set to anything (tests rewrite it).
  { username: 'shape', sub: 'up-shape', email: 'shape@corp.test', emailVerified: true, password: 'shape-upstream' },
];

function seedFor(upstream: string): unknown {
  return {
    companies: [
      { id: 'corp', name: 'Corp <b>Inc</b>', emailDomains: ['corp.test'], mfa: { required: true, reverify: '7d' }, sso: { type: 'oidc', issuer: upstream, clientId: 'corp-client', clientSecret: CORP_SECRET, mfa: 'idp', mfaAcrValues: [UPSTREAM_ACR.mfa] } },
      { id: 'loco', name: 'Local Co', emailDomains: ['local.test'], mfa: { required: true }, sso: { type: 'oidc', issuer: upstream, clientId: 'local-client', clientSecret: LOCAL_SECRET, mfa: 'local', jit: true } },
    ],
    users: [
      { id: 'usr_ann', email: 'ann@corp.test', name: 'Ann', password: 'ann-local-password', memberships: [{ company: 'corp' }] },
      { id: 'usr_mallory', email: 'mallory@corp.test', name: 'Mallory', memberships: [{ company: 'corp' }] },
      { id: 'usr_lee', email: 'lee@local.test', name: 'Lee', memberships: [{ company: 'loco' }] },
    ],
    clients: [{ client_id: 'web', client_secret: CLIENTS.web.secret, redirect_uris: [CLIENTS.web.redirectUri], post_logout_redirect_uris: [CLIENTS.web.postLogout], first_party: true }],
  };
}

describe('SSO: attacks that must keep failing', () => {
  let world: SsoWorld;
  let upstream: UpstreamIdp;
  let running: RunningIdp;
  let rp: oidc.Configuration;

  before(async () => {
    world = await startSsoWorld(UPSTREAM_USERS, seedFor);
    upstream = world.upstream;
  });
  after(async () => {
    await world.close();
  });
  beforeEach(async () => {
    world.reset();
    running = await startIdp({ kind: 'memory' }, { port: world.port, clock: manualClock(Date.now()), env: { SEED_FILE: world.seedFile } });
    rp = await relyingParty(running.issuer, CLIENTS.web);
  });
  afterEach(async () => {
    await running.close();
  });

  /** Our email page, then the IdP's form as `username`: the IdP's answer, not yet brought back. */
  const toAnswer = async (email: string, username: string, browser = new Browser(running.issuer)) => {
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid, sent } = await enterEmail(browser, request, email);
    assert.equal(sent.status, 303, sent.body.slice(0, 300));
    const user = UPSTREAM_USERS.find((u) => u.username === username)!;
    const answer = await loginUpstream(new Browser(upstream.issuer), sent.location!, { username, password: user.password });
    return { browser, request, uid, sent, answer };
  };

  const subOf = async (request: AuthRequest, callback: string | undefined): Promise<string> => {
    assert.ok(callback, 'expected a code');
    return (await exchangeCode(rp, callback, request)).claims()!.sub;
  };

  const failures = async (companyId: string): Promise<string[]> =>
    (await running.idp.stores.audit.forCompany(companyId, 50)).filter((e) => e.type === 'sso.login_failed').map((e) => e.detail?.['reason'] ?? '');

  describe('login CSRF and code injection', () => {
    it("the victim's IdP answer opened in another browser: no interaction cookie, nothing redeemed; the victim still finishes", async () => {
      const victim = await toAnswer('ann@corp.test', 'ann');
      const stolen = await followRedirects(new Browser(running.issuer), await new Browser(running.issuer).get(victim.answer));
      assert.equal(stolen.callback, undefined);
      const thief = new Browser(running.issuer);
      const hop = await thief.get(victim.answer);
      assert.equal(hop.status, 303);
      assert.equal((await thief.get(hop.location!)).status, 400, 'SessionNotFound without the interaction cookie');
      const { callback } = await followRedirects(victim.browser, await victim.browser.get(victim.answer));
      assert.equal(await subOf(victim.request, callback), 'usr_ann');
    });

    it("the attacker's own IdP answer pushed into the victim's browser (a link to /sso/callback): refused, the victim's sign-in intact", async () => {
      const attacker = await toAnswer('mallory@corp.test', 'mallory');
      const victim = await toAnswer('ann@corp.test', 'ann');
      const pushed = await followRedirects(victim.browser, await victim.browser.get(attacker.answer));
      assert.equal(pushed.callback, undefined);
      assert.equal(pushed.page.status, 400);
      // Even with the victim's uid known, the attacker's code needs the victim's state: its random half is only ever in the victim's URL.
      const attackerAnswer = new URL(attacker.answer);
      const forged = `/interaction/${victim.uid}/sso/callback?code=${attackerAnswer.searchParams.get('code')}&state=${victim.uid}.${attackerAnswer.searchParams.get('state')!.split('.')[1]}&iss=${encodeURIComponent(upstream.issuer)}`;
      const mismatch = await victim.browser.get(forged);
      assert.equal(mismatch.status, 400);
      assert.deepEqual(await failures('corp'), ['state_mismatch']);
    });
  });

  describe('the callback hop reflects nothing outside our origin', () => {
    for (const state of ['//evil.test/.AAAA', 'https://evil.test.' + 'A'.repeat(43), `x\r\nSet-Cookie: a=b.${'A'.repeat(43)}`, `${'u'.repeat(65)}.${'A'.repeat(43)}`, '../admin.' + 'A'.repeat(43)]) {
      it(`state ${JSON.stringify(state.slice(0, 24))}: a 400 page, no redirect`, async () => {
        const page = await new Browser(running.issuer).get(`/sso/callback?state=${encodeURIComponent(state)}`);
        assert.equal(page.status, 400);
        assert.equal(page.location, undefined);
      });
    }

    it('a valid-looking state: the redirect stays under /interaction/<uid>/, whatever else the query holds', async () => {
      const page = await new Browser(running.issuer).get(`/sso/callback?next=https%3A%2F%2Fevil.test&state=abc.${'A'.repeat(43)}&x=%0D%0ALocation:%20https://evil.test`);
      assert.equal(page.status, 303);
      assert.match(page.location ?? '', /^\/interaction\/abc\/sso\/callback\?/);
      assert.equal(page.headers.get('set-cookie'), null);
    });

    it('duplicated state parameters: 400, never a 5xx', async () => {
      const page = await new Browser(running.issuer).get(`/sso/callback?state=a.${'A'.repeat(43)}&state=b.${'A'.repeat(43)}`);
      assert.equal(page.status, 400);
    });

    it("the upstream's error and error_description are not shown; the company name is escaped", async () => {
      const browser = new Browser(running.issuer);
      const { uid, sent } = await enterEmail(browser, await authorizationRequest(rp, CLIENTS.web), 'ann@corp.test');
      const state = new URL(sent.location!).searchParams.get('state')!;
      const page = await browser.get(`/interaction/${uid}/sso/callback?state=${state}&iss=${encodeURIComponent(upstream.issuer)}&error=%3Cscript%3Ea%3C%2Fscript%3E&error_description=%3Cimg%20src%3Dx%3E`);
      assert.equal(page.status, 401);
      assert.doesNotMatch(page.body, /<script>a|<img src=x>/);
      const required = await browser.post(`/interaction/${uid}/password`, { email: 'ann@corp.test', password: 'x' });
      assert.match(required.body, /Corp &lt;b&gt;Inc&lt;\/b&gt; signs you in/);
    });
  });

  describe('account matching', () => {
    it('email_verified as the string "true" is unverified', async () => {
      upstream.tamperIdToken = (claims) => ({ ...claims, email_verified: 'true' });
      const { browser, answer } = await toAnswer('ann@corp.test', 'ann');
      const { page, callback } = await followRedirects(browser, await browser.get(answer));
      assert.equal(callback, undefined);
      assert.equal(page.status, 403);
      assert.deepEqual(await failures('corp'), ['email_unverified']);
    });

    for (const [title, email, expected] of [
      ['an IDN homograph of the domain (Cyrillic е)', 'ann@corp.t\u0435st', 'other_company'],
      ['a full-width domain is the same domain (UTS #46), so the same account', 'ann@\uff43orp.test', 'usr_ann'],
      ['upper case and NFD: the same mailbox, the same account', 'ANN@CORP.TEST', 'usr_ann'],
      ['another company’s domain asserted by corp’s IdP', 'lee@local.test', 'other_company'],
    ] as const) {
      it(title, async () => {
        upstream.users.get('shape')!.email = email;
        const { browser, request, answer } = await toAnswer('someone@corp.test', 'shape');
        const { page, callback } = await followRedirects(browser, await browser.get(answer));
        if (expected.startsWith('usr_')) assert.equal(await subOf(request, callback), expected);
        else {
          assert.equal(callback, undefined, page.body.slice(0, 200));
          assert.deepEqual(await failures('corp'), [expected]);
        }
      });
    }

    it("a (company, issuer, sub) link is the company's alone: the same IdP user through another company's connection is not linked there", async () => {
      const first = await toAnswer('ann@corp.test', 'ann');
      const done = await followRedirects(first.browser, await first.browser.get(first.answer));
      assert.equal(await subOf(first.request, done.callback), 'usr_ann');
      // Local Co has JIT on and the same issuer: ann's sub and email still do not get her, nor an account.
      const { browser, answer } = await toAnswer('lee@local.test', 'ann');
      const { page, callback } = await followRedirects(browser, await browser.get(answer));
      assert.equal(callback, undefined);
      assert.equal(page.status, 403);
      assert.deepEqual(await failures('loco'), ['other_company']);
    });
  });

  describe('steps and passwords', () => {
    it('mfa "local": the SSO callback is refused at the MFA step, so the MFA step cannot be skipped through it', async () => {
      const { browser, answer } = await toAnswer('lee@local.test', 'lee');
      const { page } = await followRedirects(browser, await browser.get(answer));
      assert.match(page.body, /Two-Factor Authentication Required/);
      const mfaUid = /\/interaction\/([\w-]+)\//.exec(page.body)?.[1];
      assert.equal((await browser.get(`/interaction/${mfaUid}/sso/callback?${new URL(answer).search.slice(1)}`)).status, 400);
      assert.equal((await browser.post(`/interaction/${mfaUid}/password`, { email: 'lee@local.test', password: 'x' })).status, 400);
    });

    it("a password for an SSO domain: the same 403 for a known and an unknown account, with a right or wrong password", async () => {
      const bodies: string[] = [];
      for (const [email, password] of [['ann@corp.test', 'ann-local-password'], ['ann@corp.test', 'wrong'], ['nobody@corp.test', 'wrong']] as const) {
        const browser = new Browser(running.issuer);
        const { uid } = await enterEmail(browser, await authorizationRequest(rp, CLIENTS.web), 'someone@acme.example');
        const page = await browser.post(`/interaction/${uid}/password`, { email, password });
        assert.equal(page.status, 403);
        bodies.push(page.body.replaceAll(uid, 'UID').replaceAll(email, 'EMAIL').replace(/Reference: [\w-]+/, ''));
      }
      assert.equal(new Set(bodies).size, 1);
      assert.ok(!bodies[0]!.includes(CLIENT_ORIGIN));
    });
  });
});
