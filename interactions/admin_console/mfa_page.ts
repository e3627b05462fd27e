import { toCsv } from '../../admin/csv.ts';
import { RECOMMENDED_NOTICE_DAYS, timeZoneChoices, REVERIFY_FREQUENCIES } from '../../admin/mfa_settings.ts';
import type { AdminCompany, MemberStatus } from '../../admin/service.ts';
import { formatInZone } from '../../admin/zoned_time.ts';
import { readForm } from '../forms.ts';
import { renderPage } from '../render.ts';
import { requestMeta } from '../request_meta.ts';
import { runAction } from './actions.ts';
import type { ConsoleContext, ConsoleDeps } from './context.ts';
import { SettingsForm } from './forms.ts';
import { freshOrReauthenticate } from '../first_party/guard.ts';
import { companyOfRequest, csvResponse, renderConsole } from './render.ts';

const METHOD_NAMES: Record<string, string> = { totp: 'App', sms: 'SMS' };

/** GET …/security/mfa: the settings form and the members' status (or the status as CSV). */
export async function showMfaSettings(ctx: ConsoleContext, deps: ConsoleDeps): Promise<void> {
  const entry = await companyOfRequest(ctx, deps);
  if (!entry) return;
  const companyId = entry.company.id;
  const notEnrolledOnly = ctx.query['filter'] === 'not_enrolled';
  const members = (await deps.admin.memberStatuses(ctx.state.signedIn.record.userId, companyId, { notEnrolledOnly })) ?? [];
  if (ctx.query['format'] === 'csv') {
    const rows = members.map((m) => [m.name, m.email, methodsText(m), lastMfaText(m, entry), m.mfaAtIdp ? 'yes' : 'no']);
    csvResponse(ctx, `mfa-status-${companyId}.csv`, toCsv(['Name', 'Email', 'Methods', 'Last MFA sign-in', 'MFA at company IdP'], rows));
    return;
  }
  await renderSettings(ctx, deps, entry, members, { notEnrolledOnly });
}

/** POST …/security/mfa: Save. */
export async function saveMfaSettings(ctx: ConsoleContext, deps: ConsoleDeps): Promise<void> {
  const entry = await companyOfRequest(ctx, deps);
  if (!entry) return;
  const companyId = entry.company.id;
  const adminId = ctx.state.signedIn.record.userId;
  if (entry.access !== 'manage') {
    renderPage(ctx, 'message', { status: 403, title: 'Read-only access' }, { message: "Changing MFA settings needs 'Admin' permissions on both the Company Admin and Directory tools.", tone: 'error' });
    return;
  }
  const form = readForm(ctx, SettingsForm);
  if (!form.ok) {
    const members = (await deps.admin.memberStatuses(adminId, companyId, { notEnrolledOnly: false })) ?? [];
    return renderSettings(ctx, deps, entry, members, { notEnrolledOnly: false, error: form.message, status: 400 });
  }
  const action = { kind: 'settings' as const, companyId, input: form.value };
  if (!(await freshOrReauthenticate(ctx, deps, action, ctx.path))) return;
  const outcome = await runAction(deps, adminId, action, requestMeta(ctx));
  await deps.sessions.save(ctx, ctx.state.signedIn.sessionId, { ...ctx.state.signedIn.record, notice: outcome.notice });
  ctx.status = 303;
  ctx.redirect(outcome.redirect);
}

async function renderSettings(ctx: ConsoleContext, deps: ConsoleDeps, entry: AdminCompany, members: MemberStatus[], options: { notEnrolledOnly: boolean; error?: string; status?: number }): Promise<void> {
  const { company } = entry;
  await renderConsole(
    ctx,
    deps,
    'admin/mfa_settings',
    'Multi-Factor Authentication (MFA)',
    {
      canManage: entry.access === 'manage',
      settings: company.mfa,
      timeZone: company.timeZone,
      timeZones: timeZoneChoices(company.timeZone),
      reverifyChoices: REVERIFY_FREQUENCIES,
      advice: deps.admin.advice(company),
      recommendedDays: RECOMMENDED_NOTICE_DAYS,
      members: members.map((m) => ({ ...m, methodsText: methodsText(m), lastMfaText: lastMfaText(m, entry) })),
      notEnrolledOnly: options.notEnrolledOnly,
      error: options.error,
    },
    { company: entry, ...(options.status ? { status: options.status } : {}) },
  );
}

function methodsText(member: MemberStatus): string {
  return member.methods.map((id) => METHOD_NAMES[id] ?? id).join(', ') || 'None';
}

function lastMfaText(member: MemberStatus, entry: AdminCompany): string {
  return member.lastMfaAt === undefined ? '' : formatInZone(member.lastMfaAt, entry.company.timeZone);
}
