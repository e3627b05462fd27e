import fc from 'fast-check';
import { ACR } from '../../mfa/assurance.ts';
import { ADA, ADMIN_SEED } from '../helpers/admin.ts';
import { adminToken } from '../helpers/admin_api.ts';
import { envelopeOf, formEncode, hostileJsonValue, hostileString, jsonEnvelope, jsonObject, nearly, queryString } from './arbitraries.ts';
import { fuzzForm } from './forms.ts';
import { assertAlive, assertProductAnswer, fuzz, send } from './harness.ts';
import { COMPANY_IDS, RESET_EMAILS } from './admin_inputs.ts';
import { startFuzzWorld, type FuzzWorld } from './world.ts';

const API = '/api/v1/companies';

/**
 * The admin API (/api/v1) with a valid bearer token from an MFA sign-in: hostile JSON bodies (wrong
 * types, nesting, malformed text, other content types, codings, sizes), query parameters, company
 * ids and Authorization headers. Every answer is JSON of ours, never a 5xx.
 */
describe('fuzz: the admin API', function () {
  this.timeout(120_000);
  let world: FuzzWorld;
  let token: string;

  before(async () => {
    world = await startFuzzWorld(ADMIN_SEED);
    world.logs.secret('a password', ADA.password);
    world.logs.secret('a TOTP secret', ADA.secret);
    const tokens = await adminToken(world.origin, ADA, world.clock, ACR.multiFactor);
    token = tokens.accessToken;
    world.logs.secret('an access token', token);
    world.logs.secret('a refresh token', tokens.refreshToken);
  });
  after(async () => {
    await assertAlive(world.origin);
    await world.close();
  });

  const bearer = (): Record<string, string> => ({ authorization: `Bearer ${token}`, accept: 'application/json' });
  const json = <T>(values: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: values }, { weight: 1, arbitrary: hostileJsonValue });

  it('PUT mfa-settings', async () => {
    await fuzzForm(world, {
      runs: 60,
      method: 'PUT',
      envelope: jsonEnvelope(
        jsonObject({
          required: json(fc.boolean()),
          enforcementDate: json(fc.oneof(nearly('2027-03-01', '2024-02-29', '2023-02-29'), fc.constant(null))),
          timeZone: json(nearly('Europe/Berlin', 'UTC', 'Etc/GMT+14', 'Mars/Olympus')),
          reverify: json(nearly('30d', '12h', '7d')),
        }),
      ),
      // Found by this fuzz: a body whose gzip or brotli stream is broken was a 500.
      examples: [
        envelopeOf('broken gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{"required":true}'),
        envelopeOf('broken brotli', { 'content-type': 'application/json', 'content-encoding': 'br' }, '{"required":true}'),
      ],
      target: () => Promise.resolve({ path: `${API}/ridge/mfa-settings`, cookie: '', headers: bearer() }),
      moved: () => false,
    });
  });

  it('POST mfa-resets', async () => {
    await fuzzForm(world, {
      runs: 40,
      envelope: jsonEnvelope(jsonObject({ email: json(RESET_EMAILS), identityVerified: json(fc.boolean()) })),
      target: () => Promise.resolve({ path: `${API}/ridge/mfa-resets`, cookie: '', headers: bearer() }),
      moved: () => false,
    });
  });

  it('the queries of members/mfa-status and audit-events', async () => {
    const members = queryString({ fields: { filter: nearly('not_enrolled', 'all') } });
    const audit = queryString({ fields: { type: nearly('mfa.reset', 'policy.changed'), email: RESET_EMAILS, from: nearly('2026-01-01'), to: nearly('2030-12-31'), cursor: nearly('0-0', 'eyJ4IjoxfQ'), limit: nearly('50', '0', '501', '-1', '1e3', '2.5') } });
    await fuzz(fc.oneof(members.map((q) => `members/mfa-status?${q}`), audit.map((q) => `audit-events?${q}`)), 50, async (rest) => {
      const path = `${API}/ridge/${rest}`;
      assertProductAnswer(await send(world.origin, 'GET', path, bearer()), `GET ${path}`);
    });
  });

  it('company ids and methods on every endpoint', async () => {
    const endpoints = fc.constantFrom('mfa-settings', 'members/mfa-status', 'mfa-resets', 'audit-events', '', 'x');
    const methods = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
    await fuzz(fc.tuple(COMPANY_IDS, endpoints, methods), 40, async ([company, endpoint, method]) => {
      const path = `${API}/${company}/${endpoint}`;
      const answer = await send(world.origin, method, path, { ...bearer(), 'content-type': 'application/json' }, method === 'GET' || method === 'HEAD' ? undefined : Buffer.from('{"required":true,"timeZone":"UTC","reverify":"30d","email":"x@ridge.test","identityVerified":true}'));
      if (method !== 'HEAD') assertProductAnswer(answer, `${method} ${path}`);
      else if (answer.status >= 500) assertProductAnswer(answer, `${method} ${path}`);
    });
  });

  it('Authorization headers', async () => {
    const header = fc.oneof(
      nearly('Bearer QQTOKENQQ', 'Basic YTpi', 'Bearer', 'bearer QQTOKENQQ', 'Bearer  QQTOKENQQ', 'Bearer QQTOKENQQ, Bearer QQTOKENQQ', 'DPoP QQTOKENQQ'),
      hostileString.map((h) => `Bearer ${h}`),
    );
    await fuzz(fc.tuple(header, fc.boolean()), 40, async ([value, twice]) => {
      // A header value cannot carry control characters or characters beyond Latin-1: those never reach the app.
      const sent = value.replaceAll('QQTOKENQQ', token).replace(/[^\t\x20-\x7e\x80-\xff]/g, (c) => formEncode(c));
      const path = `${API}/ridge/mfa-settings`;
      assertProductAnswer(await send(world.origin, 'GET', path, { accept: 'application/json', authorization: twice ? [sent, sent] : sent }), `GET ${path} with ${JSON.stringify(sent).slice(0, 200)}`);
    });
  });
});
