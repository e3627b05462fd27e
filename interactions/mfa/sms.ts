import { getCountryCallingCode, type CountryCode } from 'libphonenumber-js/max';
import type { SendResult } from '../../mfa/factors/sms.ts';
import { checkSmsNumber, maskPhone, SMS_REFUSAL_MESSAGES, USE_THE_APP } from '../../mfa/sms_rules.ts';
import type { AllowedMethods } from '../../mfa/policy.ts';
import { renderPage } from '../../views/render.ts';
import { requirePrompt, type InteractionContext } from '../context.ts';
import { readForm } from '../forms.ts';
import { completeEnrollment, openEnrollment, refuseStaleEnrollment } from './enroll.ts';
import { interactionAccount, readFlow, refuseUnusableMethod, requestMeta, writeFlow, type MfaRouteDeps } from './flow.ts';
import type { MfaAccount } from '../../mfa/mfa.ts';
import { CodeForm, MethodForm, PhoneForm } from './forms.ts';
import { attemptCode } from './challenge.ts';

const WRONG_CODE = 'That code is not right or has expired. Check the latest text message, or send a new code.';
const MALFORMED_CODE = 'Enter the 6-digit code from the text message.';
const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** The countries a user may pick: the configured list, narrowed by Procore Pay rules. */
function countryOptions(sms: AllowedMethods['sms'], configured: string[]): { code: string; name: string; dial: string }[] {
  const allowed = sms.allowed ? (sms.onlyCountries === 'default' ? configured : configured.filter((c) => sms.onlyCountries.includes(c))) : [];
  return allowed.map((code) => ({ code, name: regionNames.of(code) ?? code, dial: `+${getCountryCallingCode(code as CountryCode)}` }));
}

// ---- Enrollment: Set Up SMS Verification → Enter the 6-Digit Verification Code → recovery code ----

export function showSmsSetup(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const account = await openEnrollment(ctx, deps);
    if (account) renderSmsSetup(ctx, deps, account);
  };
}

function renderSmsSetup(ctx: InteractionContext, deps: MfaRouteDeps, account: MfaAccount, error?: { message: string; status: number }, values?: { country: string; phone: string }): void {
  const sms = account.requirement.methods.sms;
  if (!sms.allowed) {
    renderPage(ctx, 'sms_unavailable', { title: 'SMS Verification Is Not Available', status: 403 }, {
      uid: ctx.state.interaction.uid,
      message: `${SMS_REFUSAL_MESSAGES[sms.reason]} ${USE_THE_APP}`,
      enrolling: true,
      hasTotp: false,
    });
    return;
  }
  renderPage(ctx, 'sms_setup', { title: 'Set Up SMS Verification', status: error?.status ?? 200 }, {
    uid: ctx.state.interaction.uid,
    countries: countryOptions(sms, deps.mfa.deps.smsCountries),
    error: error?.message,
    country: values?.country ?? '',
    phone: values?.phone ?? '',
  });
}

/** "Send Text Message": the number must pass the rules, then the send limits. */
export function sendEnrollmentCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const account = await openEnrollment(ctx, deps);
    if (!account) return;
    const form = readForm(ctx, PhoneForm);
    const values = form.ok ? form.value : { country: '', phone: '' };
    const verdict = form.ok ? checkSmsNumber({ number: values.phone, country: values.country }, account.requirement.methods.sms, deps.mfa.deps.smsCountries) : { allowed: false as const, reason: 'invalid' as const };
    if (!verdict.allowed) {
      renderSmsSetup(ctx, deps, account, { message: `${SMS_REFUSAL_MESSAGES[verdict.reason]} ${USE_THE_APP}`, status: 400 }, values);
      return;
    }
    const phone = { e164: verdict.e164, country: verdict.country };
    const result = await deps.mfa.sms.sendEnrollmentCode(account.user, phone, requestMeta(ctx), ctx.ip);
    if (!result.sent) {
      await showCannotSend(ctx, deps, account, result, { enrolling: true });
      return;
    }
    await writeFlow(ctx, deps.mfa, { ...(await readFlow(ctx, deps.mfa)), pendingPhone: phone });
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/sms/verify`);
  };
}

async function pendingPhone(ctx: InteractionContext, deps: MfaRouteDeps): Promise<{ e164: string; country: string }> {
  const phone = (await readFlow(ctx, deps.mfa)).pendingPhone;
  if (!phone) ctx.throw(400, 'No verification code was sent in this sign-in. Enter your phone number again.');
  return phone;
}

export function showEnrollmentCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    if (!(await openEnrollment(ctx, deps))) return;
    renderCodePage(ctx, { action: 'mfa/sms/verify', resend: 'mfa/sms/resend', masked: maskPhone((await pendingPhone(ctx, deps)).e164) });
  };
}

export function resendEnrollmentCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const account = await openEnrollment(ctx, deps);
    if (!account) return;
    const phone = await pendingPhone(ctx, deps);
    const result = await deps.mfa.sms.sendEnrollmentCode(account.user, phone, requestMeta(ctx), ctx.ip);
    if (!result.sent) {
      await showCannotSend(ctx, deps, account, result, { enrolling: true });
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${ctx.state.interaction.uid}/mfa/sms/verify`);
  };
}

export function confirmEnrollmentCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const account = await openEnrollment(ctx, deps);
    if (!account) return;
    const phone = await pendingPhone(ctx, deps);
    const form = readForm(ctx, CodeForm);
    const outcome = await deps.mfa.sms.confirmEnrollment(account.user, phone, requestMeta(ctx), form.ok ? form.value.code : '', account.factors.version);
    if (!outcome.ok && outcome.reason === 'stale') {
      refuseStaleEnrollment(ctx, account);
      return;
    }
    if (!outcome.ok) {
      renderCodePage(ctx, { action: 'mfa/sms/verify', resend: 'mfa/sms/resend', masked: maskPhone(phone.e164), error: outcome.reason === 'malformed' ? MALFORMED_CODE : WRONG_CODE, status: 400 });
      return;
    }
    await completeEnrollment(ctx, deps, account, deps.mfa.sms);
  };
}

// ---- Challenge: choose a method, send a code, enter it ----

/** The chooser and the "Send Text Message" button both post here: SMS sends a code, the app needs nothing. */
export function chooseMethod(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    requirePrompt(ctx, 'mfa');
    const form = readForm(ctx, MethodForm);
    const uid = ctx.state.interaction.uid;
    if (!form.ok) ctx.throw(400, 'Choose how you want to verify your identity.');
    const account = await interactionAccount(ctx, deps.mfa);
    refuseUnusableMethod(ctx, account, form.value.method);
    if (form.value.method === 'totp') {
      ctx.status = 303;
      ctx.redirect(`/interaction/${uid}/mfa/verify`);
      return;
    }
    const result = await deps.mfa.sms.sendLoginCode(account.user, requestMeta(ctx), ctx.ip);
    if (!result.sent) {
      await showCannotSend(ctx, deps, account, result, { enrolling: false });
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}/mfa/sms/code`);
  };
}

export function showLoginCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    requirePrompt(ctx, 'mfa');
    const account = await interactionAccount(ctx, deps.mfa);
    refuseUnusableMethod(ctx, account, 'sms');
    const { phone } = account;
    if (!phone) ctx.throw(400, 'There is no phone number on this account.');
    renderCodePage(ctx, { action: 'mfa/sms/code', resendMethod: 'sms', masked: maskPhone(phone.e164), recovery: true });
  };
}

export function submitLoginCode(deps: MfaRouteDeps) {
  return async (ctx: InteractionContext): Promise<void> => {
    const failure = await attemptCode(ctx, deps, deps.mfa.sms);
    if (!failure) return;
    const { phone } = await interactionAccount(ctx, deps.mfa);
    renderCodePage(ctx, {
      action: 'mfa/sms/code',
      resendMethod: 'sms',
      masked: phone ? maskPhone(phone.e164) : '',
      recovery: true,
      error: failure === 'malformed' ? MALFORMED_CODE : WRONG_CODE,
      status: 401,
    });
  };
}

interface CodePage {
  action: string;
  masked: string;
  /** Enrollment resends post to its own route; the challenge resends through the chooser. */
  resend?: string;
  resendMethod?: 'sms';
  recovery?: boolean;
  error?: string;
  status?: number;
}

function renderCodePage(ctx: InteractionContext, page: CodePage): void {
  renderPage(ctx, 'sms_code', { title: 'Enter the 6-Digit Verification Code', status: page.status ?? 200 }, { uid: ctx.state.interaction.uid, ...page });
}

/**
 * A text that cannot go out (a limit, the cooldown, the gateway): a clear page that offers the
 * other ways in. Never a 5xx, and the interaction stays usable.
 */
async function showCannotSend(ctx: InteractionContext, deps: MfaRouteDeps, account: MfaAccount, result: Extract<SendResult, { sent: false }>, options: { enrolling: boolean }): Promise<void> {
  const { methods } = account;
  if (result.reason === 'cooldown' || result.reason === 'limit') {
    await deps.mfa.events.record('mfa.sms_refused', account.user, requestMeta(ctx), { reason: result.reason });
  }
  const wait = result.retryAfterSeconds ?? 0;
  const message =
    result.reason === 'cooldown'
      ? `A code was just sent. Wait ${wait} seconds before asking for another one.`
      : result.reason === 'limit'
        ? 'Too many text messages were sent for this account or number. Try again later.'
        : 'We could not send a text message right now.';
  if (wait > 0) ctx.set('Retry-After', String(wait));
  renderPage(ctx, 'sms_unavailable', { title: 'Text Message Not Sent', status: result.reason === 'gateway' ? 200 : 429 }, {
    uid: ctx.state.interaction.uid,
    message,
    enrolling: options.enrolling,
    hasTotp: methods.includes('totp'),
  });
}
