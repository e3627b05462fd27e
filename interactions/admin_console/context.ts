import type { RouterContext } from '@koa/router';
import type { Logger } from 'pino';
import type { CompanyAdmin } from '../../admin/service.ts';
import type { Clock } from '../../lib/clock.ts';
import type { ConsoleRelyingParty } from './relying_party.ts';
import type { AdminSessionRecord, AdminSessions } from './session.ts';

export interface ConsoleDeps {
  admin: CompanyAdmin;
  sessions: AdminSessions;
  rp: ConsoleRelyingParty;
  clock: Clock;
  /** A change needs an authentication younger than this (ADMIN_REAUTH_SECONDS). */
  reauthSeconds: number;
  logger: Logger;
}

/** The signed-in admin of a console request. */
export interface SignedInAdmin {
  sessionId: string;
  record: AdminSessionRecord & { userId: string; authTime: number };
}

export interface ConsoleState {
  admin: SignedInAdmin;
}

export type ConsoleContext = RouterContext<ConsoleState>;
