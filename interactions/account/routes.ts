import type { Middleware } from 'koa';
import { firstPartyRoutes, type SitePages } from '../first_party/routes.ts';
import type { AccountDeps } from './context.ts';
import { accountHome, showSecurity } from './overview_page.ts';
import { stepUpPages } from './step_up.ts';
import { newRecoveryCodePages } from './new_recovery_code.ts';
import { phonePages } from './phone_flow.ts';
import { appPages } from './app_flow.ts';
import { methodPages } from './methods_flow.ts';
import { recoveryCodePages } from './recovery_flow.ts';
import { passwordPages } from './password_flow.ts';

/** Each flow of the page brings its routes; they are merged here, in one table. */
function merge(...parts: SitePages<AccountDeps>[]): SitePages<AccountDeps> {
  return { get: Object.assign({}, ...parts.map((p) => p.get)) as SitePages<AccountDeps>['get'], post: Object.assign({}, ...parts.map((p) => p.post)) as SitePages<AccountDeps>['post'] };
}

/**
 * My Profile Settings › Password & Security under /account, a first-party site (first_party/): the
 * overview, the step-up every change needs (step_up.ts), and each flow's pages.
 */
export function accountRoutes(deps: AccountDeps): Middleware {
  return firstPartyRoutes(
    deps,
    merge(
      { get: { '/': accountHome, '/security': showSecurity }, post: {} },
      stepUpPages(deps),
      newRecoveryCodePages,
      phonePages(deps),
      appPages(deps),
      methodPages(deps),
      recoveryCodePages,
      passwordPages(deps),
      // Each flow adds its pages on a line of its own here.
    ),
  );
}
