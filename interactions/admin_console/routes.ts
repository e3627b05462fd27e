import type { Middleware } from 'koa';
import { requestMeta } from '../request_meta.ts';
import { firstPartyRoutes } from '../first_party/routes.ts';
import type { FirstPartyContext } from '../first_party/context.ts';
import { runPendingAction } from './actions.ts';
import { showAudit } from './audit_page.ts';
import type { ConsoleDeps } from './context.ts';
import { saveMfaSettings, showMfaSettings } from './mfa_page.ts';
import { renderConsole } from './render.ts';
import { showReset, submitReset } from './reset_page.ts';

const COMPANY = '/companies/:companyId';

/**
 * The company admin console under /admin (Company Admin › Security Settings › MFA, and the audit
 * trail), a first-party site (first_party/): every page needs a signed-in admin with MFA, and each
 * company page checks the admin's access to that company (admin/service.ts).
 */
export function adminConsoleRoutes(base: Omit<ConsoleDeps, 'runPending'>): Middleware {
  const deps: ConsoleDeps = { ...base, runPending: (ctx, adminId, pending) => runPendingAction(deps, adminId, pending, requestMeta(ctx)) };
  return firstPartyRoutes(deps, {
    get: {
      '/': companyList,
      [`${COMPANY}/security/mfa`]: showMfaSettings,
      [`${COMPANY}/security/mfa/reset`]: showReset,
      [`${COMPANY}/audit`]: showAudit,
    },
    post: {
      [`${COMPANY}/security/mfa`]: saveMfaSettings,
      [`${COMPANY}/security/mfa/reset`]: submitReset,
    },
  });
}

/** /admin: the admin's companies; with exactly one, straight to its MFA tab. */
async function companyList(ctx: FirstPartyContext, deps: ConsoleDeps): Promise<void> {
  const companies = await deps.admin.companiesOf(ctx.state.signedIn.record.userId);
  const [only] = companies;
  if (companies.length === 1 && only) {
    ctx.redirect(`/admin/companies/${encodeURIComponent(only.company.id)}/security/mfa`);
    return;
  }
  await renderConsole(ctx, deps, 'admin/companies', 'Company Admin', { companies });
}
