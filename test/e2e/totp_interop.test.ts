import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualClock } from '../../lib/clock.ts';
import { Browser } from '../helpers/browser.ts';
import { followRedirects } from '../helpers/flows.ts';
import { startIdp, type RunningIdp } from '../helpers/idp.ts';
import { oathtoolCode, passwordStep, recoveryCodeIn, setupKeyIn } from '../helpers/mfa.ts';
import { openRedis, type TestRedis as RedisClient } from '../helpers/redis_access.ts';
import { redisBackend } from '../helpers/backends.ts';
import { useRedis } from '../helpers/redis_suite.ts';
import { authorizationRequest, CLIENTS, exchangeCode, relyingParty } from '../helpers/rp.ts';
import { requireTool } from '../helpers/tools.ts';

/** Our setup screens against independent implementations: oathtool computes codes, zbarimg reads the QR. */
describe('authenticator interoperability (on Redis)', () => {
  const redis = useRedis();
  const clock = manualClock(Date.UTC(2026, 10, 23, 12, 0, 0));
  let running: RunningIdp;
  before(async function () {
    requireTool(this, 'oathtool', 'oathtool');
    requireTool(this, 'zbarimg', 'zbar-tools');
    running = await startIdp(redisBackend(redis()), { clock });
  });
  after(async () => {
    await running?.close();
  });

  it('enrolls with the setup key and oathtool; the QR decodes to the otpauth link; no secret is stored in clear', async () => {
    const rp = await relyingParty(running.issuer, CLIENTS.web);
    const browser = new Browser(running.issuer);
    const request = await authorizationRequest(rp, CLIENTS.web);
    const { uid } = await passwordStep(browser, request.url, 'fred@summit.test', 'fred-password-1');
    const setup = await browser.get(`/interaction/${uid}/mfa/totp`);
    assert.match(setup.body, /Secure your Account/);
    assert.match(setup.body, /Trouble Scanning\?/);

    const link = /<a href="(otpauth:\/\/totp\/[^"]+)">/.exec(setup.body)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(link);
    const secret = setupKeyIn(setup);
    assert.equal(link, `otpauth://totp/Groundwork%20ID:fred%40summit.test?secret=${secret}&issuer=Groundwork%20ID`);

    const png = /<img src="data:image\/png;base64,([^"]+)"/.exec(setup.body)?.[1];
    assert.ok(png);
    const file = join(mkdtempSync(join(tmpdir(), 'qr-')), 'qr.png');
    writeFileSync(file, Buffer.from(png, 'base64'));
    const decoded = spawnSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8' });
    assert.equal(decoded.status, 0, decoded.stderr);
    assert.equal(decoded.stdout.trim(), link);

    const confirmed = await browser.post(`/interaction/${uid}/mfa/totp`, { code: oathtoolCode(secret, clock) });
    assert.equal(confirmed.status, 303);
    const recoveryCode = recoveryCodeIn(await browser.get(confirmed.location!));
    const { callback } = await followRedirects(browser, await browser.post(`/interaction/${uid}/mfa/recovery-code`, { saved: 'yes' }));
    assert.ok(callback);
    assert.deepEqual((await exchangeCode(rp, callback, request)).claims()!['amr'], ['pwd', 'otp', 'mfa']);

    const client = await openRedis(redis().topology);
    try {
      const dump = await dumpRedis(client, redis().prefix);
      assert.ok(dump.includes('usr_fred'), 'the dump sees the user');
      for (const needle of [secret, recoveryCode, recoveryCode.replaceAll('-', ''), 'fred-password-1']) {
        assert.ok(!dump.includes(needle), `"${needle.slice(0, 6)}…" is stored in clear`);
      }
    } finally {
      await client.close();
    }
  });
});

/** Every value under the prefix, as text. */
async function dumpRedis(client: RedisClient, prefix: string): Promise<string> {
  const parts: string[] = [];
  for (const key of await client.keys(`${prefix}*`)) {
    const type = await client.type(key);
    if (type === 'string') parts.push((await client.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await client.hGetAll(key)));
    else if (type === 'set') parts.push(JSON.stringify(await client.sMembers(key)));
    else if (type === 'stream') parts.push(JSON.stringify(await client.xRange(key, '-', '+')));
    parts.push(key);
  }
  return parts.join('\n');
}
