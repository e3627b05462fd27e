import { CONSOLE_CLIENT_ID } from '../../provider/clients.ts';
import type { CompanyAdmin } from '../../admin/service.ts';
import type { FirstPartyDeps } from '../first_party/context.ts';
import type { FirstPartySite } from '../first_party/site.ts';

export type { FirstPartyContext as ConsoleContext } from '../first_party/context.ts';

/** The company admin console: a first-party site that always asks for MFA. */
export const ADMIN_CONSOLE: FirstPartySite = {
  basePath: '/admin',
  clientId: CONSOLE_CLIENT_ID,
  clientName: 'Company Admin',
  cookie: 'admin_session',
  storeKey: 'admin-session',
  requireMfa: true,
  label: 'the admin console',
};

export interface ConsoleDeps extends FirstPartyDeps {
  admin: CompanyAdmin;
}
