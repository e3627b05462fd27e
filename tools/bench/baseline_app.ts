// The benchmark's baseline: a bare oidc-provider app with the same Redis adapter and the same
// argon2id settings as the real one, password login only, no MFA, no email step. Started by tools/bench/run.ts.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { pino } from 'pino';
import { connectRedis } from '../../adapters/redis/client.ts';
import { redisOidcAdapterFactory } from '../../adapters/redis/oidc_adapter.ts';
import { hashPassword, verifyPassword } from '../../directory/passwords.ts';
import { toClientMetadata } from '../../provider/clients.ts';
import { SCOPES } from '../../provider/scopes.ts';
import { readSeedFile } from '../../seed/import.ts';
import { cheapHash } from './cheap_hash.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const issuer = env('ISSUER');
const seed = await readSeedFile(env('SEED_FILE'));
const redis = (await connectRedis({ kind: 'single', url: env('REDIS_URL') }, { replicas: 0, timeoutMs: 1 }, pino({ level: 'warn' }))).client;
const hashFor = process.env['BENCH_HASH'] === 'off' ? cheapHash : hashPassword;
const hashes = new Map(await Promise.all(seed.users.map(async (u) => [u.email.toLowerCase(), { id: u.id ?? u.email, hash: await hashFor(u.password ?? '') }] as const)));
const byId = new Map([...hashes.values()].map((u) => [u.id, u]));

const provider = new Provider(issuer, {
  adapter: redisOidcAdapterFactory(redis, `${env('REDIS_PREFIX')}baseline:`),
  clients: seed.clients.map((c) => toClientMetadata(c)),
  jwks: JSON.parse(env('SIGNING_KEYS')) as { keys: Record<string, unknown>[] },
  cookies: { keys: env('COOKIE_KEYS').split(',') },
  pkce: { required: () => true },
  // The same scopes as ours: a client's `scope` metadata may name only scopes the provider knows.
  scopes: [...SCOPES],
  responseTypes: ['code'],
  features: { devInteractions: { enabled: false }, resourceIndicators: { enabled: false } },
  claims: { openid: ['sub', 'acr', 'amr', 'auth_time'] },
  findAccount: (_ctx, id) => (byId.has(id) ? { accountId: id, claims: () => ({ sub: id }) } : undefined),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 5400, AuthorizationCode: 600, Interaction: 900, Session: 43200, Grant: 43200, IdToken: 3600, RefreshToken: 86400 },
});

provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(ctx.path);
  if (!match) {
    await next();
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && details.prompt.name === 'login') {
    ctx.type = 'html';
    ctx.body = `<form method="post" action="/interaction/${details.uid}/login"><input name="email"><input name="password" type="password"></form>`;
    return;
  }
  if (ctx.method === 'GET' && details.prompt.name === 'consent') {
    const grant = new provider.Grant({ accountId: String(details.session?.accountId), clientId: String(details.params['client_id']) });
    grant.addOIDCScope(String(details.params['scope']));
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId: await grant.save() } });
    ctx.status = 303;
    ctx.redirect(returnTo);
    return;
  }
  const body = new URLSearchParams(await new Promise<string>((resolve) => {
    let text = '';
    ctx.req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    ctx.req.on('end', () => {
      resolve(text);
    });
  }));
  const user = hashes.get((body.get('email') ?? '').toLowerCase());
  if (!(await verifyPassword(user?.hash, body.get('password') ?? '')) || !user) {
    ctx.status = 401;
    return;
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: user.id, amr: ['pwd'] } });
  ctx.status = 303;
  ctx.redirect(returnTo);
});

// The bench stops its apps with SIGTERM; exiting normally lets `node --cpu-prof` write the profile.
process.on('SIGTERM', () => process.exit(0));

const handle = provider.callback();
createServer((req, res) => {
  void handle(req, res);
}).listen(Number(env('PORT')), '127.0.0.1');
