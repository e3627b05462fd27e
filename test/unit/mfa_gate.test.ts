import assert from 'node:assert/strict';
import { acrClaimProblem, acrSatisfies, acrToAssert, canSkipEnrollment, acrClaimFromParam, essentialAcrUnmet, mfaIsFresh, mfaStepsDue, stepUpRequested, upstreamLoginDue, type GateInput, type SessionAuth, type UpstreamLoginReason } from '../../mfa/gate.ts';
import type { MfaRequirement } from '../../mfa/policy.ts';

const methods = { totp: true, sms: { allowed: true, onlyCountries: 'default' } } as const;
const REQUIRED: MfaRequirement = { kind: 'required', reasons: ['company:x'], methods, reverifySeconds: 12 * 3600, federation: undefined };
const OPTIONAL: MfaRequirement = { kind: 'optional_enrollment', deadline: '2027-01-01', methods, reverifySeconds: 12 * 3600, federation: undefined };
const NONE: MfaRequirement = { kind: 'none', methods, reverifySeconds: 30 * 86400, federation: undefined };
const idpFederation = { companyId: 'corp', mode: 'idp', reverifySeconds: 7 * 86400 } as const;
const localFederation = { ...idpFederation, mode: 'local' } as const;
/** Federated with `mfa: "idp"`, nothing of ours applies. */
const IDP_NONE: MfaRequirement = { ...NONE, federation: idpFederation };
/** Federated with `mfa: "idp"`, but a Procore Pay role requires our MFA. */
const IDP_PAY: MfaRequirement = { ...REQUIRED, reasons: ['pay:corp'], federation: idpFederation };
const LOCAL_REQUIRED: MfaRequirement = { ...REQUIRED, federation: localFederation };
const NOW = 1_800_000_000;
const pwd = { amr: ['pwd'], acr: 'urn:idp:acr:sfa', authTime: NOW - 60 };
const mfa = (ageSeconds: number) => ({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:idp:acr:mfa', authTime: NOW - ageSeconds });
/** A login at the company's IdP; `upstreamMfa` when it proved MFA and that counted (acr). */
const fed = (ageSeconds: number, upstreamMfa = false) => ({ amr: upstreamMfa ? ['fed', 'pwd', 'otp', 'mfa'] : ['fed', 'pwd'], acr: upstreamMfa ? 'urn:idp:acr:mfa' : 'urn:idp:acr:sfa', authTime: NOW - ageSeconds });

const base: GateInput = { requirement: NONE, enrolled: false, stepUp: false, skippedEnrollment: false, session: pwd, nowSeconds: NOW };

const rows: [string, Partial<GateInput>, { enroll: boolean; challenge: boolean }][] = [
  ['no rule, not enrolled: nothing', {}, { enroll: false, challenge: false }],
  ['required, not enrolled: enroll', { requirement: REQUIRED }, { enroll: true, challenge: false }],
  ['required, not enrolled, "skipped" (forged): still enroll', { requirement: REQUIRED, skippedEnrollment: true }, { enroll: true, challenge: false }],
  ['optional, not enrolled: offer enrollment', { requirement: OPTIONAL }, { enroll: true, challenge: false }],
  ['optional, skipped in this session: nothing', { requirement: OPTIONAL, skippedEnrollment: true }, { enroll: false, challenge: false }],
  ['optional, skipped, but the app asks for MFA: enroll', { requirement: OPTIONAL, skippedEnrollment: true, stepUp: true }, { enroll: true, challenge: false }],
  ['no rule, app asks for MFA, not enrolled: enroll', { stepUp: true }, { enroll: true, challenge: false }],
  ['enrolled, password only: challenge', { requirement: REQUIRED, enrolled: true }, { enroll: false, challenge: true }],
  ['enrolled, MFA 1 minute ago: nothing', { requirement: REQUIRED, enrolled: true, session: mfa(60) }, { enroll: false, challenge: false }],
  ['enrolled, MFA 11 h 59 min ago (12 h rule): nothing', { requirement: REQUIRED, enrolled: true, session: mfa(12 * 3600 - 60) }, { enroll: false, challenge: false }],
  ['enrolled, MFA exactly 12 h ago: challenge', { requirement: REQUIRED, enrolled: true, session: mfa(12 * 3600) }, { enroll: false, challenge: true }],
  ['enrolled, MFA 31 days ago, no company rule (30 d default): challenge', { requirement: NONE, enrolled: true, session: mfa(31 * 86400) }, { enroll: false, challenge: true }],
  ['enrolled, step-up, fresh MFA: nothing', { requirement: REQUIRED, enrolled: true, stepUp: true, session: mfa(60) }, { enroll: false, challenge: false }],
  ['federated (idp), nothing of ours applies, app asks for MFA: none of our steps (the IdP is asked)', { requirement: IDP_NONE, stepUp: true, session: fed(60) }, { enroll: false, challenge: false }],
  ['federated (idp), factors enrolled here before SSO: not challenged', { requirement: IDP_NONE, enrolled: true, session: fed(60) }, { enroll: false, challenge: false }],
  ['federated (idp) with a Pay role, not enrolled: enroll', { requirement: IDP_PAY, session: fed(60) }, { enroll: true, challenge: false }],
  ['federated (idp) with a Pay role, enrolled, the IdP did MFA: still our challenge', { requirement: IDP_PAY, enrolled: true, session: { ...fed(60, true), acr: 'urn:idp:acr:sfa' } }, { enroll: false, challenge: true }],
  ['federated (idp), another company requires MFA, nothing enrolled here, the IdP proved MFA: nothing', { requirement: { ...REQUIRED, reasons: ['company:other'], federation: idpFederation }, session: fed(60, true) }, { enroll: false, challenge: false }],
  ['federated (idp), another company requires MFA, the IdP did not prove MFA: enroll here', { requirement: { ...REQUIRED, reasons: ['company:other'], federation: idpFederation }, session: fed(60) }, { enroll: true, challenge: false }],
  ['federated (idp) with a Pay role given after an IdP MFA login: enroll here', { requirement: IDP_PAY, session: fed(60, true) }, { enroll: true, challenge: false }],
  ['federated (local), enrolled: challenge after the SSO login', { requirement: LOCAL_REQUIRED, enrolled: true, session: fed(60) }, { enroll: false, challenge: true }],
  ['an IdP "mfa" amr under a single-factor acr is not our MFA', { requirement: LOCAL_REQUIRED, enrolled: true, session: { ...fed(60, true), acr: 'urn:idp:acr:sfa' } }, { enroll: false, challenge: true }],
];

const upstreamRows: [string, { requirement: MfaRequirement; session: SessionAuth; stepUp?: boolean }, UpstreamLoginReason | undefined][] = [
  ['not federated: never', { requirement: REQUIRED, session: pwd }, undefined],
  ['federated, a password session from before SSO: the IdP', { requirement: IDP_NONE, session: pwd }, 'sso_required'],
  ['federated (local), a password session from before SSO: the IdP too', { requirement: LOCAL_REQUIRED, session: mfa(60) }, 'sso_required'],
  ['federated (idp), an SSO session a minute old: nothing', { requirement: IDP_NONE, session: fed(60) }, undefined],
  ['federated (idp), older than the 7-day period: the IdP again', { requirement: IDP_NONE, session: fed(7 * 86400) }, 'sso_reverify'],
  ['federated (local), older than the period: our MFA decides, not the IdP', { requirement: LOCAL_REQUIRED, session: fed(8 * 86400) }, undefined],
  ['federated (idp), step-up, the IdP did not prove MFA: the IdP, asked for MFA', { requirement: IDP_NONE, session: fed(60), stepUp: true }, 'sso_step_up'],
  ['federated (idp), step-up, the IdP proved MFA: nothing', { requirement: IDP_NONE, session: fed(60, true), stepUp: true }, undefined],
  ['federated (idp) with a Pay role, step-up: our MFA steps answer it', { requirement: IDP_PAY, session: fed(60), stepUp: true }, undefined],
];

describe('MFA gate: when a federated account goes (back) to its IdP', () => {
  for (const [name, input, expected] of upstreamRows) {
    it(name, () => {
      assert.equal(upstreamLoginDue({ stepUp: false, nowSeconds: NOW, ...input }), expected);
    });
  }
});

describe('MFA gate: which step is due', () => {
  for (const [name, input, expected] of rows) {
    it(name, () => {
      assert.deepEqual(mfaStepsDue({ ...base, ...input }), expected);
    });
  }

  it('a session without the mfa amr is never fresh', () => {
    assert.equal(mfaIsFresh({ amr: ['pwd', 'otp'], acr: 'urn:idp:acr:mfa', authTime: NOW }, 3600, NOW), false);
  });

});

describe('step-up requests', () => {
  const rows: [string, unknown, Parameters<typeof stepUpRequested>[1], boolean][] = [
    ['acr_values with the MFA acr', 'urn:idp:acr:mfa', undefined, true],
    ['acr_values listing both', 'urn:idp:acr:sfa urn:idp:acr:mfa', undefined, true],
    ['acr_values with the single-factor acr only', 'urn:idp:acr:sfa', undefined, false],
    ['essential acr value', undefined, { essential: true, value: 'urn:idp:acr:mfa' }, true],
    ['essential acr values', undefined, { essential: true, values: ['urn:idp:acr:mfa'] }, true],
    ['essential acr values, one factor accepted too', undefined, { essential: true, values: ['urn:idp:acr:sfa', 'urn:idp:acr:mfa'] }, false],
    ['essential single-factor acr', undefined, { essential: true, values: ['urn:idp:acr:sfa'] }, false],
    ['essential MFA acr among unknown ones', undefined, { essential: true, values: ['urn:unknown:acr', 'urn:idp:acr:mfa'] }, true],
    ['essential unknown acr only (refused earlier): fails closed', undefined, { essential: true, values: ['urn:unknown:acr'] }, true],
    ['essential acr without values: any acr', undefined, { essential: true }, false],
    ['voluntary acr claim', undefined, { value: 'urn:idp:acr:mfa' }, false],
    ['nothing', undefined, undefined, false],
    ['a null acr request (allowed by OIDC Core)', undefined, null, false],
    ['malformed values (an object): fails closed, no crash', undefined, { essential: true, values: { a: 1 } }, true],
    ['malformed request (a string): fails closed', undefined, 'urn:idp:acr:mfa', true],
  ];
  for (const [name, acrValues, claim, expected] of rows) {
    it(`${name} → ${expected}`, () => {
      assert.equal(stepUpRequested(acrValues, claim), expected);
    });
  }

  it('reads the essential acr from a raw claims parameter, and ignores junk', () => {
    assert.deepEqual(acrClaimFromParam('{"id_token":{"acr":{"essential":true,"value":"x"}}}'), { essential: true, value: 'x' });
    assert.equal(acrClaimFromParam('{not json'), undefined);
    assert.equal(acrClaimFromParam(undefined), undefined);
  });

  it('names a malformed acr request, for invalid_request at the authorization endpoint', () => {
    assert.equal(acrClaimProblem({ id_token: { acr: { essential: true, values: ['urn:idp:acr:mfa'] } } }), undefined);
    assert.equal(acrClaimProblem({ id_token: { acr: null, email: null } }), undefined);
    assert.equal(acrClaimProblem({ userinfo: { email: { essential: true } } }), undefined);
    assert.match(acrClaimProblem({ id_token: { acr: { essential: true, values: { a: 1 } } } }) ?? '', /^claims\.id_token\.acr/);
    assert.match(acrClaimProblem({ userinfo: { acr: { value: 7 } } }) ?? '', /^claims\.userinfo\.acr/);
  });

  it('skipping is possible only while optional and without step-up', () => {
    assert.equal(canSkipEnrollment(OPTIONAL, false), true);
    assert.equal(canSkipEnrollment(OPTIONAL, true), false);
    assert.equal(canSkipEnrollment(REQUIRED, false), false);
  });
});

const SFA = 'urn:idp:acr:sfa';
const MFA = 'urn:idp:acr:mfa';
const UNKNOWN = 'urn:unknown:acr';

describe('essential acr requests (OIDC Core 5.5.1.1)', () => {
  it('an authentication satisfies its own class and weaker ones, never an unknown one', () => {
    assert.equal(acrSatisfies(MFA, SFA), true);
    assert.equal(acrSatisfies(MFA, MFA), true);
    assert.equal(acrSatisfies(SFA, MFA), false);
    assert.equal(acrSatisfies(MFA, UNKNOWN), false);
    assert.equal(acrSatisfies(UNKNOWN, SFA), false);
  });

  const unmetRows: [string, unknown, boolean][] = [
    ['only unknown values', { essential: true, values: [UNKNOWN] }, true],
    ['an unknown value', { essential: true, value: UNKNOWN }, true],
    ['no values at all', { essential: true, values: [] }, true],
    ['an unknown and a known value', { essential: true, values: [UNKNOWN, SFA] }, false],
    ['a known value', { essential: true, value: MFA }, false],
    ['unknown, but voluntary', { values: [UNKNOWN] }, false],
    ['essential without values', { essential: true }, false],
    ['no acr request', undefined, false],
  ];
  for (const [name, claim, expected] of unmetRows) {
    it(`unmet: ${name} → ${expected}`, () => {
      assert.equal(essentialAcrUnmet(claim), expected);
    });
  }

  const assertRows: [string, string | undefined, unknown, ReturnType<typeof acrToAssert>][] = [
    ['no request: the session’s class', MFA, undefined, { acr: MFA }],
    ['a voluntary request: the session’s class', MFA, { values: [SFA] }, { acr: MFA }],
    ['essential without values: the session’s class', MFA, { essential: true }, { acr: MFA }],
    ['MFA session, single factor asked: single factor', MFA, { essential: true, values: [SFA] }, { acr: SFA }],
    ['MFA session, single factor asked by value: single factor', MFA, { essential: true, value: SFA }, { acr: SFA }],
    ['MFA session, either asked: MFA (its own, listed)', MFA, { essential: true, values: [SFA, MFA] }, { acr: MFA }],
    ['MFA session, unknown or single factor asked: single factor', MFA, { essential: true, values: [UNKNOWN, SFA] }, { acr: SFA }],
    ['one-factor session, either asked: single factor', SFA, { essential: true, values: [MFA, SFA] }, { acr: SFA }],
    ['one-factor session, MFA asked (the gate prevents it): unmet', SFA, { essential: true, values: [MFA] }, { unmet: true }],
    ['unknown asked (refused earlier): unmet', MFA, { essential: true, values: [UNKNOWN] }, { unmet: true }],
    ['no session class, essential request: unmet', undefined, { essential: true, values: [SFA] }, { unmet: true }],
    ['no session class, no request: none', undefined, undefined, { acr: undefined }],
  ];
  for (const [name, achieved, claim, expected] of assertRows) {
    it(`asserts: ${name}`, () => {
      assert.deepEqual(acrToAssert(achieved, claim), expected);
    });
  }
});
