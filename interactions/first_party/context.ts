import type { RouterContext } from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.ts';
import type { FirstPartyRelyingParty } from './relying_party.ts';
import type { FirstPartySessions, SessionRecord } from './session.ts';
import type { FirstPartySite } from './site.ts';

/** What a change did: the page to show next, and what it says there. */
export interface ActionOutcome {
  status: 'done' | 'refused' | 'not_found';
  redirect: string;
  notice: { tone: 'ok' | 'error'; text: string };
}

export interface FirstPartyDeps {
  site: FirstPartySite;
  sessions: FirstPartySessions;
  rp: FirstPartyRelyingParty;
  clock: Clock;
  /** A change needs an authentication younger than this; an older one signs in again first. */
  reauthSeconds: number;
  logger: Logger;
  /** Carries out a change that waited for the re-authentication (undefined: the site keeps none). */
  runPending?: ((ctx: Context, userId: string, pending: unknown) => Promise<ActionOutcome>) | undefined;
}

/** The signed-in user of a request to a first-party site. */
export interface SignedIn {
  sessionId: string;
  record: SessionRecord & { userId: string; authTime: number };
}

export interface FirstPartyState {
  signedIn: SignedIn;
}

export type FirstPartyContext = RouterContext<FirstPartyState>;
