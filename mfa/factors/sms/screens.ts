import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import type { ChallengeOutcome, EmailText, MethodTexts, SendRefusal } from '../../factor.ts';
import type { AllowedMethods } from '../../policy.ts';
import { attemptSettled, page, postedCode, redirect, type ChallengeScreenRequest, type EnrollScreenRequest, type OtherWay, type ScreenResult, type ScreenRoute } from '../../screens.ts';
import { maskPhone, USE_THE_APP } from './rules.ts';
import type { PendingNumber, SmsFactor } from './sms.ts';

const WRONG_CODE = 'That code is not right or has expired. Check the latest text message, or send a new code.';
const MALFORMED_CODE = 'Enter the 6-digit code from the text message.';
const NOTHING_SENT = 'No verification code was sent in this sign-in. Enter your phone number again.';
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
const SetupValues = z.object({ country: z.string(), phone: z.string() });

export const SMS_TEXTS: MethodTexts = {
  description: 'Get a code by text message to your mobile phone.',
  choice: 'Use a Phone Number',
  setUpInstead: { label: 'Set up SMS verification', note: 'Get a code by text message to your mobile phone.' },
};

export const SMS_EMAILS: { enrolled: EmailText; replaced: EmailText } = {
  enrolled: {
    subject: 'Two-factor authentication is on',
    body: 'A phone number was set up to receive sign-in codes by text message for two-factor authentication on your account.',
  },
  replaced: {
    subject: 'Your two-factor phone number was changed',
    body: 'A new phone number replaced the previous one for sign-in codes by text message on your account. The old number no longer receives codes.',
  },
};

/** The countries a user may pick: the configured list, narrowed by Procore Pay rules. */
function countryOptions(sms: AllowedMethods['sms'], configured: readonly string[]): { code: string; name: string; dial: string }[] {
  const allowed = sms.allowed ? (sms.onlyCountries === 'default' ? configured : configured.filter((c) => sms.onlyCountries.includes(c))) : [];
  return allowed.map((code) => ({ code, name: regionNames.of(code) ?? code, dial: `+${getCountryCallingCode(code as CountryCode)}` }));
}

/** "Verify Your Identity": a text is sent only on an explicit POST, never on a GET that a browser may prefetch. */
export function smsSendPage(maskedPhone: string): ScreenResult {
  return page('sms_send', 'Verify Your Identity', { maskedPhone });
}

/** "Set Up SMS Verification", or why the account may not use it. */
function setupPage(factor: SmsFactor, request: EnrollScreenRequest, error?: { message: string; status: number }): ScreenResult {
  const { sms } = request.enrollment.allowed;
  const refusal = factor.enrollmentRefusal(request.enrollment.allowed);
  if (refusal !== undefined) {
    return page('sms_unavailable', 'SMS Verification Is Not Available', { message: `${refusal} ${USE_THE_APP}`, enrolling: true, others: request.others }, 403);
  }
  const values = error ? SetupValues.safeParse(request.form) : undefined;
  return page(
    'sms_setup',
    'Set Up SMS Verification',
    { countries: countryOptions(sms, factor.countries), error: error?.message, country: values?.data?.country ?? '', phone: values?.data?.phone ?? '' },
    error?.status,
  );
}

interface CodePage {
  action: string;
  masked: string;
  /** Enrollment resends post to its own route; the challenge resends through the chooser. */
  resend?: string;
  resendMethod?: 'sms';
  recovery?: boolean;
  error?: string;
}

function codePage(data: CodePage, status = 200): ScreenResult {
  return page('sms_code', 'Enter the 6-Digit Verification Code', { ...data }, status);
}

function enrollmentCodePage(masked: string, error?: string): ScreenResult {
  return codePage({ action: 'mfa/sms/verify', resend: 'mfa/sms/resend', masked, ...(error ? { error } : {}) }, error ? 400 : 200);
}

function loginCodePage(masked: string, error?: string): ScreenResult {
  return codePage({ action: 'mfa/sms/code', resendMethod: 'sms', masked, recovery: true, ...(error ? { error } : {}) }, error ? 401 : 200);
}

/** The form that asks for the same text again (its path, relative to the interaction, and its fields). */
export interface SendAgain {
  path: string;
  fields: Record<string, string>;
}

/**
 * A text that cannot go out (a limit, the cooldown, the gateway): a clear page that offers the
 * other ways in. Never a 5xx, and the sign-in stays usable. When the gateway failed (down, or too
 * slow), the page also offers to send the text again: nothing was sent, so no cooldown holds it.
 */
export function notSentPage(refusal: SendRefusal, others: readonly OtherWay[], enrolling: boolean, sendAgain?: SendAgain): ScreenResult {
  const wait = refusal.retryAfterSeconds ?? 0;
  const message =
    refusal.reason === 'cooldown'
      ? `A code was just sent. Wait ${wait} seconds before asking for another one.`
      : refusal.reason === 'limit'
        ? 'Too many text messages were sent for this account or number. Try again later.'
        : 'We could not send a text message right now. Try again in a moment.';
  return {
    kind: 'page',
    view: 'sms_unavailable',
    title: 'Text Message Not Sent',
    status: refusal.reason === 'gateway' ? 200 : 429,
    data: { message, enrolling, others, ...(refusal.reason === 'gateway' && sendAgain ? { sendAgain } : {}) },
    retryAfterSeconds: wait > 0 ? wait : undefined,
  };
}

function afterSend(sent: ChallengeOutcome, next: string, others: readonly OtherWay[], enrolling: boolean, sendAgain: SendAgain): ScreenResult {
  return sent.ok ? redirect(next) : notSentPage(sent, others, enrolling, sendAgain);
}

/** The code page and its actions need the number this enrollment sent a code to. */
async function withPendingNumber(factor: SmsFactor, request: EnrollScreenRequest, then: (phone: PendingNumber) => Promise<ScreenResult>): Promise<ScreenResult> {
  const phone = await factor.pendingNumber(request.enrollment);
  return phone ? then(phone) : { kind: 'refused', status: 400, message: NOTHING_SENT };
}

/** Chosen at sign-in (the chooser, or "Send Text Message"): a code goes out, then its page. */
export async function beginSmsChallenge(factor: SmsFactor, request: ChallengeScreenRequest): Promise<ScreenResult> {
  return afterSend(await factor.challenge(request.user, request.context), 'mfa/sms/code', request.others, false, { path: 'mfa/choose', fields: { method: 'sms' } });
}

/** Enrollment: Set Up SMS Verification → Enter the 6-Digit Verification Code; the challenge: the code page. */
export function smsScreens(factor: SmsFactor): readonly ScreenRoute[] {
  return [
    { step: 'mfa_enroll', method: 'GET', path: 'mfa/sms', handle: (request) => Promise.resolve(setupPage(factor, request)) },
    {
      step: 'mfa_enroll',
      method: 'POST',
      path: 'mfa/sms',
      handle: async (request) => {
        if (factor.enrollmentRefusal(request.enrollment.allowed) !== undefined) return setupPage(factor, request);
        const started = await factor.startEnrollment(request.enrollment, request.form);
        if (started.ok) return redirect('mfa/sms/verify');
        if ('refusal' in started) return setupPage(factor, request, { message: started.refusal, status: 400 });
        const number = SetupValues.safeParse(request.form);
        return notSentPage(started, request.others, true, number.success ? { path: 'mfa/sms', fields: number.data } : undefined);
      },
    },
    {
      step: 'mfa_enroll',
      method: 'GET',
      path: 'mfa/sms/verify',
      handle: (request) => withPendingNumber(factor, request, (phone) => Promise.resolve(enrollmentCodePage(maskPhone(phone.e164)))),
    },
    {
      step: 'mfa_enroll',
      method: 'POST',
      path: 'mfa/sms/resend',
      handle: (request) =>
        withPendingNumber(factor, request, async (phone) => afterSend(await factor.resendEnrollmentCode(request.enrollment, phone), 'mfa/sms/verify', request.others, true, { path: 'mfa/sms/resend', fields: {} })),
    },
    {
      step: 'mfa_enroll',
      method: 'POST',
      path: 'mfa/sms/verify',
      handle: (request) =>
        withPendingNumber(factor, request, async (phone) => {
          const outcome = await request.confirm(postedCode(request.form));
          if (outcome.ok) return { kind: 'enrolled' };
          if (outcome.reason === 'stale') return { kind: 'stale' };
          return enrollmentCodePage(maskPhone(phone.e164), outcome.reason === 'malformed' ? MALFORMED_CODE : WRONG_CODE);
        }),
    },
    { step: 'mfa', method: 'GET', path: 'mfa/sms/code', handle: (request) => Promise.resolve(loginCodePage(request.hint ?? '')) },
    {
      step: 'mfa',
      method: 'POST',
      path: 'mfa/sms/code',
      handle: async (request) => {
        const result = await request.attempt(postedCode(request.form));
        return attemptSettled(result) ?? loginCodePage(request.hint ?? '', result.outcome === 'failed' && result.reason === 'malformed' ? MALFORMED_CODE : WRONG_CODE);
      },
    },
  ];
}
