import { createHash } from 'node:crypto';
import { ACCOUNT_CLIENT_ID } from '../../provider/clients.ts';
import type { DirectoryStore } from '../../directory/store.ts';
import type { LoginThrottle } from '../../directory/login_throttle.ts';
import type { AuditLog } from '../../audit/audit_log.ts';
import type { Mfa, SignIns } from '../../mfa/service.ts';
import type { SecurityEvents } from '../../audit/security_events.ts';
import type { FlowStore, MfaFactorStore } from '../../mfa/store.ts';
import type { SecretBox } from '../../lib/secret_box.ts';
import type { FirstPartyDeps } from '../first_party/context.ts';
import type { FirstPartySite } from '../first_party/site.ts';

import type { FirstPartyContext as AccountContext } from '../first_party/context.ts';

export type { AccountContext };

/**
 * My Profile Settings › Password & Security: a first-party site like the admin console, but one a
 * user without MFA may enter (it is where one enrolls early).
 */
export const ACCOUNT_SITE: FirstPartySite = {
  basePath: '/account',
  clientId: ACCOUNT_CLIENT_ID,
  clientName: 'Password & Security',
  cookie: 'account_session',
  storeKey: 'account-session',
  requireMfa: false,
  label: 'Password & Security',
};

/** Where the page lives, and where each of its flows starts. */
export const SECURITY = '/account/security';

export interface AccountDeps extends FirstPartyDeps {
  directory: DirectoryStore;
  throttle: LoginThrottle;
  mfa: Mfa;
  /** The factors as stored (dates, the number) for the overview. */
  store: MfaFactorStore;
  audit: AuditLog;
  /** Audit events and the security emails that follow a change. */
  events: SecurityEvents;
  /** Short-lived state of a flow (a new recovery code until it is saved). */
  flow: FlowStore;
  /** Seals what the flows keep (a recovery code) to the user. */
  box: SecretBox;
  /** Ends the user's other browser sessions after a replacement (app, phone, password). */
  signIns: SignIns;
  /** A change needs the password re-entered, and MFA proved, within this many seconds (15 minutes). */
  stepUpSeconds: number;
}

/** This browser session's flows are named by a hash of its id, never by the cookie's value (store keys, code bindings). */
export function flowIdOf(ctx: AccountContext): string {
  return createHash('sha256').update(ctx.state.signedIn.sessionId).digest('base64url');
}
