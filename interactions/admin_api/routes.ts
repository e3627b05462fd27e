import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { z } from 'zod';
import { BadCursorError } from '../../audit/audit_log.ts';
import type { CompanyAdmin } from '../../admin/service.ts';
import { RESET_REFUSAL_MESSAGES } from '../../admin/reset_eligibility.ts';
import { endOfDay, startOfDay } from '../../admin/zoned_time.ts';
import type { DirectoryStore } from '../../directory/store.ts';
import type { Clock } from '../../lib/clock.ts';
import { requestMeta } from '../request_meta.ts';
import { authenticateBearer, isRefusal, refuse, staleAuthentication, type ApiCaller } from './bearer.ts';
import { adminApiDocument } from './openapi.ts';
import { AuditQueryParams, MfaResetRequest, MfaSettings } from './schemas.ts';

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

const jsonBody = bodyParser({ enableTypes: ['json'], jsonLimit: '16kb', encoding: 'utf-8', onError: (_err, ctx) => ctx.throw(400, 'the body is not valid JSON') });

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
    if (isRefusal(caller)) { refuse(ctx, caller); return; }
    ctx.state.caller = caller;
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  company.get('/mfa-settings', (ctx) => getSettings(ctx, deps));
  company.put('/mfa-settings', (ctx) => jsonBody(ctx, () => putSettings(ctx, deps)));
  company.get('/members/mfa-status', (ctx) => memberStatus(ctx, deps));
  company.post('/mfa-resets', (ctx) => jsonBody(ctx, () => postReset(ctx, deps)));
  company.get('/audit-events', (ctx) => auditEvents(ctx, deps));

  const routes = [router.routes(), company.routes()] as [Middleware, Middleware];
  return async (ctx, next) => {
    if (ctx.path.startsWith('/api/v1/')) await routes[0](ctx, () => routes[1](ctx, next) as Promise<void>);
    else await next();
  };
}

async function getSettings(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const entry = await deps.admin.company(ctx.state.caller.userId, ctx.params['companyId'] ?? '');
  if (!entry) { notFound(ctx); return; }
  ctx.body = settingsOut(entry.company);
}

async function putSettings(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const body = parse(ctx, MfaSettings, ctx.request.body);
  if (!body) return;
  const { caller } = ctx.state;
  const companyId = ctx.params['companyId'] ?? '';
  if (!(await deps.admin.company(caller.userId, companyId))) { notFound(ctx); return; }
  if (!(await canManage(ctx, deps, companyId))) return;
  const stale = staleAuthentication(caller, Math.floor(deps.clock() / 1000), deps.reauthSeconds);
  if (stale) { refuse(ctx, stale); return; }
  const saved = await deps.admin.saveSettings(caller.userId, companyId, { ...body, enforcementDate: body.enforcementDate ?? undefined }, requestMeta(ctx));
  if (!saved) { notFound(ctx); return; }
  ctx.body = settingsOut(saved.company);
}

async function memberStatus(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const members = await deps.admin.memberStatuses(ctx.state.caller.userId, ctx.params['companyId'] ?? '', { notEnrolledOnly: ctx.query['filter'] === 'not_enrolled' });
  if (!members) { notFound(ctx); return; }
  ctx.body = { members: members.map((m) => ({ ...m, lastMfaAt: m.lastMfaAt === undefined ? null : new Date(m.lastMfaAt).toISOString() })) };
}

async function postReset(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const body = parse(ctx, MfaResetRequest, ctx.request.body);
  if (!body) return;
  const { caller } = ctx.state;
  const companyId = ctx.params['companyId'] ?? '';
  if (!(await deps.admin.company(caller.userId, companyId))) { notFound(ctx); return; }
  const stale = staleAuthentication(caller, Math.floor(deps.clock() / 1000), deps.reauthSeconds);
  if (stale) { refuse(ctx, stale); return; }
  const result = await deps.admin.resetMfa(caller.userId, companyId, body, requestMeta(ctx));
  if (!result) { notFound(ctx); return; }
  if (!result.ok) {
    ctx.status = 422;
    ctx.body = { error: result.reason, message: RESET_REFUSAL_MESSAGES[result.reason] };
    return;
  }
  ctx.status = 201;
  ctx.body = { userId: result.user.id, email: result.user.email, resetAt: new Date(deps.clock()).toISOString() };
}

async function auditEvents(ctx: ApiContext, deps: AdminApiDeps): Promise<void> {
  const query = parse(ctx, AuditQueryParams, ctx.query);
  if (!query) return;
  const companyId = ctx.params['companyId'] ?? '';
  const entry = await deps.admin.company(ctx.state.caller.userId, companyId);
  if (!entry) { notFound(ctx); return; }
  const zone = entry.company.timeZone;
  let page;
  try {
    page = await deps.admin.auditTrail(ctx.state.caller.userId, companyId, {
      ...(query.type ? { types: [query.type] } : {}),
      email: query.email,
      from: query.from ? startOfDay(query.from, zone) : undefined,
      to: query.to ? endOfDay(query.to, zone) : undefined,
      cursor: query.cursor,
      limit: query.limit,
    });
  } catch (err) {
    if (err instanceof BadCursorError) { badRequest(ctx, 'cursor: not a cursor this API issued'); return; }
    throw err;
  }
  if (!page) { notFound(ctx); return; }
  const users = await deps.admin.usersById(page.events.flatMap((e) => (e.userId ? [e.userId] : [])));
  ctx.body = {
    events: page.events.map((e) => ({ id: e.id, type: e.type, at: new Date(e.at).toISOString(), userId: e.userId ?? null, email: e.userId ? (users.get(e.userId)?.email ?? null) : null, ip: e.ip, userAgent: e.userAgent, detail: e.detail ?? {} })),
    next: page.next ?? null,
  };
}

/** A viewer of the company (read_only) may read but not change: 403, since they may see it exists. */
async function canManage(ctx: ApiContext, deps: AdminApiDeps, companyId: string): Promise<boolean> {
  if (await deps.admin.company(ctx.state.caller.userId, companyId, 'manage')) return true;
  ctx.status = 403;
  ctx.body = { error: 'forbidden', message: "Changing MFA settings needs 'Admin' permissions on both the Company Admin and Directory tools." };
  return false;
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
