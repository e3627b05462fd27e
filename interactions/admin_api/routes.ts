import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { z } from 'zod';
import { BadCursorError } from '../../audit/audit_log.ts';
import type { AdminCompany, CompanyAdmin } from '../../admin/service.ts';
import { RESET_REFUSAL_MESSAGES } from '../../admin/reset_eligibility.ts';
import { endOfDay, startOfDay } from '../../admin/zoned_time.ts';
import type { DirectoryStore } from '../../directory/store.ts';
import type { Clock } from '../../lib/clock.ts';
import { readBody } from '../forms.ts';
import { requestMeta } from '../request_meta.ts';
import { authenticateBearer, isRefusal, refuse, staleAuthentication, type ApiCaller } from './bearer.ts';
import { adminApiDocument } from './openapi.ts';
import { AuditQueryParams, MemberStatusQuery, MfaResetRequest, MfaSettings } from './schemas.ts';

export interface AdminApiDeps {
  admin: CompanyAdmin;
  provider: Provider;
  directory: DirectoryStore;
  clock: Clock;
  reauthSeconds: number;
  issuer: string;
}

interface ApiState {
  caller: ApiCaller;
}
type ApiContext = Context & { state: ApiState; params: Record<string, string> };

const jsonBody = bodyParser({ enableTypes: ['json'], jsonLimit: '16kb', encoding: 'utf-8' });

/**
 * Runs `handler` once the JSON body is parsed. A body that cannot be (malformed, too large, not
 * UTF-8) is answered here, in the API's JSON: thrown, it would reach the HTML error pages.
 */
async function withJsonBody(ctx: Context, handler: () => Promise<void>): Promise<void> {
  // A broken gzip or brotli body is the client's error too: zlib's own error carries no HTTP status.
  const refusal = await readBody(ctx, jsonBody);
  if (refusal) {
    ctx.status = refusal.status;
    ctx.body = { error: 'invalid_request', message: refusal.status === 413 ? 'the body is larger than 16 kB' : refusal.status === 415 ? 'the body must be JSON in UTF-8' : 'the body is not valid JSON' };
    return;
  }
  await handler();
}

/**
 * The admin API under /api/v1: the console's powers as JSON, for scripts and services. Every
 * request carries a bearer token (bearer.ts); the caller's permissions are the same as in the
 * console, checked by the same use cases (admin/service.ts); changes need a recent authentication.
 */
export function adminApiRoutes(deps: AdminApiDeps): Middleware {
  const document = adminApiDocument(deps.issuer);
  const router = new Router<ApiState>({ prefix: '/api/v1' });
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  const company = new Router<ApiState>({ prefix: '/api/v1/companies/:companyId' });
  company.use(async (ctx, next) => {
    const caller = await authenticateBearer(ctx, deps.provider, deps.directory);
    if (isRefusal(caller)) {
      refuse(ctx, caller);
      return;
    }
    ctx.state.caller = caller;
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  company.get('/mfa-settings', (ctx) => getSettings(ctx, deps));
  company.put('/mfa-settings', (ctx) => withJsonBody(ctx, () => putSettings(ctx, deps)));
  company.get('/members/mfa-status', (ctx) => memberStatus(ctx, deps));
  company.post('/mfa-resets', (ctx) => withJsonBody(ctx, () => postReset(ctx, deps)));
  company.get('/audit-events', (ctx) => auditEvents(ctx, deps));

  const routes = [router.routes(), company.routes()] as [Middleware, Middleware];
  return async (ctx, next) => {
    if (ctx.path.startsWith('/api/v1/')) await routes[0](ctx, () => routes[1](ctx, next) as Promise<void>);
    else await next();
  };
}

async function getSettings(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const entry = await companyFor(ctx, deps);
  if (entry) ctx.body = settingsOut(entry.company);
}

async function putSettings(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const body = parse(ctx, MfaSettings, ctx.request.body);
  if (!body) return;
  const entry = await companyFor(ctx, deps);
  if (!entry || !canManage(ctx, entry) || !freshEnough(ctx, deps)) return;
  const saved = await deps.admin.saveSettings(ctx.state.caller.userId, entry.company.id, { ...body, enforcementDate: body.enforcementDate ?? undefined }, requestMeta(ctx));
  if (saved) ctx.body = settingsOut(saved.company);
  else notFound(ctx);
}

async function memberStatus(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const query = parse(ctx, MemberStatusQuery, ctx.query);
  if (!query) return;
  const members = await deps.admin.memberStatuses(ctx.state.caller.userId, ctx.params['companyId'] ?? '', { notEnrolledOnly: query.filter === 'not_enrolled' });
  if (members) ctx.body = { members: members.map((m) => ({ userId: m.userId, name: m.name, email: m.email, methods: m.methods, lastMfaAt: m.lastMfaAt === undefined ? null : new Date(m.lastMfaAt).toISOString(), mfaAtIdp: m.mfaAtIdp })) };
  else notFound(ctx);
}

async function postReset(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const body = parse(ctx, MfaResetRequest, ctx.request.body);
  if (!body) return;
  const entry = await companyFor(ctx, deps);
  if (!entry || !freshEnough(ctx, deps)) return;
  const result = await deps.admin.resetMfa(ctx.state.caller.userId, entry.company.id, body, requestMeta(ctx));
  if (!result) {
    notFound(ctx);
  } else if (!result.ok) {
    ctx.status = 422;
    ctx.body = { error: result.reason, message: RESET_REFUSAL_MESSAGES[result.reason] };
  } else {
    ctx.status = 201;
    ctx.body = { userId: result.user.id, email: result.user.email, resetAt: new Date(deps.clock()).toISOString() };
  }
}

async function auditEvents(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const query = parse(ctx, AuditQueryParams, ctx.query);
  if (!query) return;
  const entry = await companyFor(ctx, deps);
  if (!entry) return;
  const zone = entry.company.timeZone;
  let page;
  try {
    page = await deps.admin.auditTrail(ctx.state.caller.userId, entry.company.id, {
      ...(query.type ? { types: [query.type] } : {}),
      email: query.email,
      from: query.from ? startOfDay(query.from, zone) : undefined,
      to: query.to ? endOfDay(query.to, zone) : undefined,
      cursor: query.cursor,
      limit: query.limit,
    });
  } catch (err) {
    if (!(err instanceof BadCursorError)) throw err;
    badRequest(ctx, 'cursor: not a cursor this API issued');
    return;
  }
  if (!page) {
    notFound(ctx);
    return;
  }
  const users = await deps.admin.usersById(page.events.flatMap((e) => (e.userId ? [e.userId] : [])));
  ctx.body = {
    events: page.events.map((e) => ({ id: e.id, type: e.type, at: new Date(e.at).toISOString(), userId: e.userId ?? null, email: e.userId ? (users.get(e.userId)?.email ?? null) : null, ip: e.ip, userAgent: e.userAgent, detail: e.detail ?? {} })),
    next: page.next ?? null,
  };
}

/** The URL's company if the caller may see it; otherwise 404 is answered (as for one that does not exist). */
async function companyFor(ctx: ApiContext, deps: AdminApiDeps): Promise<AdminCompany | undefined> {
  const entry = await deps.admin.company(ctx.state.caller.userId, ctx.params['companyId'] ?? '');
  if (!entry) notFound(ctx);
  return entry;
}

/** A viewer of the company (read_only) may read but not change: 403, since they may see it exists. */
function canManage(ctx: ApiContext, entry: AdminCompany): boolean {
  if (entry.access === 'manage') return true;
  ctx.status = 403;
  ctx.body = { error: 'forbidden', message: "Changing MFA settings needs 'Admin' permissions on both the Company Admin and Directory tools." };
  return false;
}

/** A change needs an authentication younger than ADMIN_REAUTH_SECONDS; otherwise the RFC 9470 challenge. */
function freshEnough(ctx: ApiContext, deps: AdminApiDeps): boolean {
  const stale = staleAuthentication(ctx.state.caller, Math.floor(deps.clock() / 1000), deps.reauthSeconds);
  if (stale) refuse(ctx, stale);
  return stale === undefined;
}

function settingsOut(company: { mfa: { required: boolean; enforcementDate: string | undefined; reverify: string }; timeZone: string }): Record<string, unknown> {
  return { required: company.mfa.required, enforcementDate: company.mfa.enforcementDate ?? null, timeZone: company.timeZone, reverify: company.mfa.reverify };
}

function parse<S extends z.ZodType>(ctx: Context, schema: S, value: unknown): z.output<S> | undefined {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  badRequest(ctx, issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid request');
  return undefined;
}

function badRequest(ctx: Context, message: string): void {
  ctx.status = 400;
  ctx.body = { error: 'invalid_request', message };
}

function notFound(ctx: Context): void {
  ctx.status = 404;
  ctx.body = { error: 'not_found', message: 'No such company.' };
}
