import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from './browser.ts';
import type { AuthRequest } from './rp.ts';
import { startUpstreamIdp, type UpstreamIdp, type UpstreamUser } from './upstream_idp.ts';

/** The client secrets our IdP holds at the test company IdP: one client per connection. */
export const CORP_SECRET = 'corp-upstream-client-secret-7f3a9c1e';
export const LOCAL_SECRET = 'local-upstream-client-secret-2b8d4e6f';

/** A loopback port free right now: our IdP's issuer must be known before the company IdP registers its redirect URI. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface SsoWorld {
  upstream: UpstreamIdp;
  /** The port our IdP must listen on (the IdP's registered redirect URI names it). */
  port: number;
  seedFile: string;
  /** Puts the IdP's users back as they were (tests change their emails) and stops tampering. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A company IdP (a second oidc-provider) with two clients, `corp-client` and `local-client`, whose
 * redirect URI is our `/sso/callback` on a reserved port, and a seed file naming that IdP.
 */
export async function startSsoWorld(users: readonly UpstreamUser[], seedFor: (upstreamIssuer: string) => unknown): Promise<SsoWorld> {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/sso/callback`;
  const upstream = await startUpstreamIdp({
    clients: [
      { clientId: 'corp-client', clientSecret: CORP_SECRET, redirectUris: [redirectUri] },
      { clientId: 'local-client', clientSecret: LOCAL_SECRET, redirectUris: [redirectUri] },
    ],
    // Copies: tests change the IdP's users, never the table they came from.
    users: users.map((user) => ({ ...user })),
  });
  const dir = mkdtempSync(join(tmpdir(), 'sso-seed-'));
  const seedFile = join(dir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify(seedFor(upstream.issuer)));
  return {
    upstream,
    port,
    seedFile,
    reset: () => {
      for (const user of upstream.users.values()) user.email = users.find((u) => u.sub === user.sub)!.email;
      upstream.tamperIdToken = undefined;
      upstream.authorizationRequests.length = 0;
    },
    close: async () => {
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Our login page with an email: returns the interaction and where it sent the browser. */
export async function enterEmail(browser: Browser, request: AuthRequest, email: string): Promise<{ uid: string; sent: Page }> {
  const start = await browser.get(request.url.href);
  const uid = /^\/interaction\/([\w-]+)$/.exec(start.location ?? '')?.[1];
  assert.ok(uid, `expected an interaction, got ${start.status} ${start.location}`);
  await browser.get(start.location!);
  return { uid, sent: await browser.post(`/interaction/${uid}/email`, { email }) };
}
