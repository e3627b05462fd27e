import type { User } from '../directory/types.ts';
import type { AllowedMethods } from './policy.ts';
import type { RequestMeta } from '../audit/security_events.ts';
import type { FactorState } from './store.ts';
import type { ChallengeScreenRequest, ScreenResult, ScreenRoute } from './screens.ts';

/** Who is verifying, and the interaction (or self-service session) a code is bound to. */
export interface FactorContext extends RequestMeta {
  interactionId: string;
}

/** Failures are returned, never thrown: a malformed code is a failed attempt like a wrong one. */
export type VerifyOutcome = { ok: true } | { ok: false; reason: 'malformed' | 'invalid' };

/**
 * An enrollment commit: a wrong code, or `stale` when the account's factors changed since the
 * decision to let this enrollment happen (a stale screen, a racing enrollment): nothing was stored.
 */
export type EnrollOutcome = { ok: true } | { ok: false; reason: 'malformed' | 'invalid' | 'stale' };

/** A message could not go out (SMS): the page says why and offers the other ways in. */
export interface SendRefusal {
  reason: 'cooldown' | 'limit' | 'gateway';
  retryAfterSeconds?: number | undefined;
}

/** `challenge` sends a code where the factor has one to send; an authenticator app has nothing to send. */
export type ChallengeOutcome = { ok: true } | ({ ok: false } & SendRefusal);

/** The start of an enrollment: what the setup screen shows, or why the input was refused. */
export type StartOutcome<Setup> = { ok: true; setup: Setup } | { ok: false; refusal: string } | ({ ok: false } & SendRefusal);

/** One enrollment under way: the account, what its policy allows, and the factor version it was decided on. */
export interface Enrollment {
  user: User;
  allowed: AllowedMethods;
  /** The compare-and-set guard: the commit stores nothing if the account's factors changed since. */
  factorVersion: number;
  context: FactorContext;
}

/** A security email's text; no code, secret or phone number ever appears in it. */
export interface EmailText {
  subject: string;
  body: string;
}

/** What a method's entries say on the shared screens (the method list, the chooser, "another way"). */
export interface MethodTexts {
  /** On the method list while enrolling, with its description. */
  description: string;
  /** The chooser's line; the hint (the masked number) follows it. */
  choice: string;
  /** Offered as another way while enrolling. */
  setUpInstead: { label: string; note: string };
  /** Offered as another way at sign-in, when the method needs no message sent first. */
  useInstead?: string;
}

/**
 * Every way of proving the second factor: the recovery code as much as the methods. A factor only
 * knows its own data; the MFA service (mfa.ts) runs attempts through the lockout and records events.
 */
export interface MfaFactor<Id extends string = string> {
  readonly id: Id;
  /** How people call it, on screens and in emails. */
  readonly label: string;
  /** RFC 8176 values this factor adds to the session's `amr`. */
  readonly amr: readonly string[];
  /** Does the stored state hold this factor? Pure: the state is read once for all factors. */
  isEnrolled(state: FactorState): boolean;
  verify(userId: string, input: string, context: FactorContext): Promise<VerifyOutcome>;
  /** For recovery, self-service and admin reset. */
  remove(userId: string): Promise<void>;
}

/**
 * A method: a factor one enrolls, chooses and is challenged with (an authenticator app, a phone).
 * It brings its own rules, texts and screens, so a new method is one folder and one registry line.
 * `StartInput` is the posted setup form, parsed by the method itself.
 */
export interface MfaMethod<Id extends string = string, Setup = unknown> extends MfaFactor<Id> {
  /** May this user enroll it? The refusal says why, for the method list. */
  enrollmentRefusal(allowed: AllowedMethods): string | undefined;
  /** A short description of the enrolled factor for the chooser, e.g. the masked number; never a secret. */
  hint(state: FactorState): string | undefined;
  /** Begins an enrollment (a new secret, a text to the number); repeated calls show the same setup. */
  startEnrollment(enrollment: Enrollment, form: unknown): Promise<StartOutcome<Setup>>;
  /** Commits the factor once the code proves possession, only if the account is still at `factorVersion`. */
  confirmEnrollment(enrollment: Enrollment, code: string): Promise<EnrollOutcome>;
  /** Starts a sign-in challenge: sends a code, or does nothing. */
  challenge(user: User, context: FactorContext): Promise<ChallengeOutcome>;
  readonly texts: MethodTexts;
  /** The emails for its enrollment, and for its replacing an earlier one of its kind. */
  readonly emails: { enrolled: EmailText; replaced: EmailText };
  /** Its screens: the web layer mounts them at the steps they declare. */
  readonly screens: readonly ScreenRoute[];
  /** Where its enrollment starts, and its code page at sign-in (paths relative to the interaction). */
  readonly entry: { enroll: string; challenge: string };
  /** What the sign-in shows when it is the account's only method. */
  landing(request: ChallengeScreenRequest): Promise<ScreenResult>;
  /** Chosen at sign-in: sends what it sends, then its code page. */
  begin(request: ChallengeScreenRequest): Promise<ScreenResult>;
  /** Where its templates are; views are looked up there by name. */
  readonly viewsDir: string;
}
