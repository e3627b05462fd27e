import { z } from 'zod';
import type { User } from '../directory/types.ts';
import type { EnrollOutcome, Enrollment, FactorContext } from './factor.ts';
import type { AttemptResult } from './service.ts';

/**
 * A method's screens, written without the web framework: a handler gets the posted form and the
 * use cases it may call, and returns what to show. The web layer (interactions/) mounts every
 * registered method's screens in its one route table, behind the step guard each route declares,
 * and turns a result into a response. That is what keeps a method in one folder.
 */

/** The interaction steps a method's screens belong to: first setup, or the sign-in challenge. */
export type ScreenStep = 'mfa_enroll' | 'mfa';

/** Another way in that a screen may offer (the app when a text cannot go out). */
export interface OtherWay {
  label: string;
  note?: string | undefined;
  path: string;
}

interface ScreenRequestBase {
  /** The posted form, unparsed: each screen parses what it expects. */
  form: unknown;
  context: FactorContext;
  /** The other methods' entries, from the registry: set-up screens while enrolling, challenges at sign-in. */
  others: readonly OtherWay[];
}

export interface EnrollScreenRequest extends ScreenRequestBase {
  enrollment: Enrollment;
  /** Commits the method and completes the enrollment (events, recovery code): the one use case. */
  confirm(code: string): Promise<EnrollOutcome>;
}

export interface ChallengeScreenRequest extends ScreenRequestBase {
  user: User;
  /** What the chooser shows for this method (the masked number), as the gate decided. */
  hint: string | undefined;
  /** One verification attempt through the lockout. */
  attempt(code: string): Promise<AttemptResult>;
}

export type ScreenRoute =
  | { step: 'mfa_enroll'; method: 'GET' | 'POST'; path: string; handle(request: EnrollScreenRequest): Promise<ScreenResult> }
  | { step: 'mfa'; method: 'GET' | 'POST'; path: string; handle(request: ChallengeScreenRequest): Promise<ScreenResult> };

/** What a screen answers; `path`s are relative to the interaction (`mfa/verify`). */
export type ScreenResult =
  | { kind: 'page'; view: string; title: string; status?: number; data?: Record<string, unknown>; retryAfterSeconds?: number | undefined }
  | { kind: 'redirect'; path: string }
  /** The method was committed: the flow goes on to the new recovery code. */
  | { kind: 'enrolled' }
  /** The commit lost its compare-and-set: the "already set up" page. */
  | { kind: 'stale' }
  /** The challenge attempt ended in success or a lock: the web layer finishes or shows the lock. */
  | { kind: 'attempted'; result: Extract<AttemptResult, { outcome: 'success' | 'locked' }> }
  | { kind: 'refused'; status: 400 | 403; message: string };

export function page(view: string, title: string, data: Record<string, unknown> = {}, status = 200): ScreenResult {
  return { kind: 'page', view, title, data, status };
}

export function redirect(path: string): ScreenResult {
  return { kind: 'redirect', path };
}

const CodeForm = z.object({ code: z.string().max(64) });

/** The posted `code`, or '' when it is missing or not a string: a malformed attempt, counted like a wrong one. */
export function postedCode(form: unknown): string {
  const parsed = CodeForm.safeParse(form);
  return parsed.success ? parsed.data.code : '';
}

/**
 * What a challenge attempt leads to when it ends the step (success, a lock) or is refused (a method
 * the account may not use); undefined for a wrong or malformed code, which the screen shows itself.
 */
export function attemptSettled(result: AttemptResult): ScreenResult | undefined {
  if (result.outcome === 'success' || result.outcome === 'locked') return { kind: 'attempted', result };
  if (result.outcome === 'not_allowed') return { kind: 'refused', status: 403, message: 'This verification method is not available for your account.' };
  return undefined;
}
