import type { Clock } from '../lib/clock.ts';
import type { SecretBox } from '../lib/secret_box.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { SmsLimits } from '../config/config.ts';
import type { LimiterFactory } from '../lib/limiters.ts';
import type { SmsGateway } from './factors/sms/gateway.ts';
import { phoneKeyWith } from './factors/sms/phone_key.ts';
import { SmsSendLimits } from './factors/sms/send_limits.ts';
import type { MfaFactor, MfaMethod } from './factor.ts';
import { RecoveryCodeFactor } from './factors/recovery_code/recovery_code.ts';
import { SmsFactor, smsUsable } from './factors/sms/sms.ts';
import { SMS_EMAILS, SMS_TEXTS } from './factors/sms/screens.ts';
import { TotpFactor } from './factors/totp/totp.ts';
import { TOTP_EMAILS, TOTP_TEXTS } from './factors/totp/screens.ts';
import type { SecurityEvents } from '../audit/security_events.ts';
import type { AllowedMethods } from './policy.ts';
import type { FactorState, FlowStore, MfaFactorStore, SmsCodeStore } from './store.ts';

/** Everything a factor may need; each takes its part. */
export interface FactorDeps {
  store: MfaFactorStore;
  flow: FlowStore;
  codes: SmsCodeStore;
  box: SecretBox;
  clock: Clock;
  events: SecurityEvents;
  metrics: Metrics;
  makeLimiter: LimiterFactory;
  totpIssuer: string;
  /** Host of the issuer, for the origin-bound line of a text message. */
  issuerHost: string;
  sms: { gateway: SmsGateway; countries: readonly string[]; limits: SmsLimits };
}

/** A registry line: the method's static parts (texts, its usability rule) and how to build it. */
interface MethodEntry {
  id: string;
  texts: MfaMethod['texts'];
  emails: MfaMethod['emails'];
  /** Pure: may a user with these stored factors use it now under these rules? (checked at every challenge) */
  usable(state: Pick<FactorState, 'totp' | 'phone'>, allowed: AllowedMethods, smsCountries: readonly string[]): boolean;
  create(deps: FactorDeps): MfaMethod;
}

/**
 * The methods, in the order they are offered: a new one is its folder under factors/ and one line
 * here. The `satisfies` checks each entry against the interface at compile time, and the id types
 * below are derived from this list, so no other file names the methods.
 */
export const METHODS = [
  {
    id: 'totp',
    texts: TOTP_TEXTS,
    emails: TOTP_EMAILS,
    // Every policy allows the app: it is the method that works everywhere.
    usable: (state) => state.totp,
    create: (deps: FactorDeps) => new TotpFactor({ store: deps.store, flow: deps.flow, box: deps.box, issuer: deps.totpIssuer, clock: deps.clock }) },
  {
    id: 'sms',
    texts: SMS_TEXTS,
    emails: SMS_EMAILS,
    usable: smsUsable,
    create: (deps: FactorDeps) =>
      new SmsFactor({
        store: deps.store,
        flow: deps.flow,
        codes: deps.codes,
        events: deps.events,
        countries: deps.sms.countries,
        gateway: deps.sms.gateway,
        limits: new SmsSendLimits(deps.sms.limits, deps.makeLimiter),
        metrics: deps.metrics,
        clock: deps.clock,
        issuerHost: deps.issuerHost,
        // Keys of their own, so that neither a code hash nor a number key can be used for the other.
        pepper: deps.box.deriveKey('sms-code'),
        phoneKey: phoneKeyWith(deps.box.deriveKey('sms-number')),
      }),
  },
] as const satisfies readonly MethodEntry[];

export type MethodId = (typeof METHODS)[number]['id'];
export type FactorId = MethodId | RecoveryCodeFactor['id'];
export const METHOD_IDS: readonly MethodId[] = METHODS.map((m) => m.id);

/** The factors, built once: every method, and the recovery code. */
export interface Factors {
  readonly methods: readonly MfaMethod<MethodId>[];
  readonly recoveryCode: RecoveryCodeFactor;
  method(id: MethodId): MfaMethod<MethodId>;
  /** Every factor, methods and recovery code: what a reset removes. */
  readonly all: readonly MfaFactor<FactorId>[];
}

export function createFactors(deps: FactorDeps): Factors {
  const methods: MfaMethod<MethodId>[] = METHODS.map((m) => m.create(deps));
  const recoveryCode = new RecoveryCodeFactor(deps.store, deps.clock);
  const byId = new Map(methods.map((m) => [m.id, m]));
  return {
    methods,
    recoveryCode,
    all: [...methods, recoveryCode],
    method(id) {
      const found = byId.get(id);
      if (!found) throw new Error(`no MFA method ${id}`);
      return found;
    },
  };
}

/** A registered method id, from untrusted input (a form, a stored preference). */
export function isMethodId(value: unknown): value is MethodId {
  return typeof value === 'string' && (METHOD_IDS as readonly string[]).includes(value);
}

/** The email texts of a method, by id (security emails name the method that changed). */
export function methodEmails(id: string): MfaMethod['emails'] | undefined {
  return METHODS.find((m) => m.id === id)?.emails;
}
