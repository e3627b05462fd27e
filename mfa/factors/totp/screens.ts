import type { User } from '../../../directory/types.ts';
import type { EmailText, MethodTexts } from '../../factor.ts';
import { attemptSettled, page, postedCode, type EnrollScreenRequest, type ScreenResult, type ScreenRoute } from '../../screens.ts';
import type { TotpFactor } from './totp.ts';

const WRONG_CODE = 'That code is not right or has expired. Enter the current code from your authenticator app.';
const MALFORMED_CODE = 'Enter the 6-digit code from your authenticator app.';

export const TOTP_TEXTS: MethodTexts = {
  description: 'Get a 6-digit code from an app on your phone or computer. Works everywhere, even without mobile signal. Recommended.',
  choice: 'Authenticator App',
  setUpInstead: { label: 'Set up an authenticator app', note: 'Works everywhere, no text message needed.' },
  useInstead: 'Use your authenticator app',
};

export const TOTP_EMAILS: { enrolled: EmailText; replaced: EmailText } = {
  enrolled: {
    subject: 'Two-factor authentication is on',
    body: 'An authenticator app was set up for two-factor authentication on your account.',
  },
  replaced: {
    subject: 'Your authenticator app was changed',
    body: 'A new authenticator app replaced the previous one on your account. The old app no longer works.',
  },
};

/** "Enter Your 6-digit Verification Code": the challenge, and the page shown when the app is the only method. */
export function totpCodePage(user: User, error?: { message: string; status: number }): ScreenResult {
  return page('totp_verify', 'Enter Your 6-digit Verification Code', { error: error?.message, email: user.email }, error?.status);
}

/** "Secure your Account": QR code, otpauth link, setup key, then the first code. */
async function setupPage(factor: TotpFactor, request: EnrollScreenRequest, error?: { message: string; status: number }): Promise<ScreenResult> {
  const setup = await factor.setupFor(request.enrollment.user, request.context.interactionId);
  return page('totp_setup', 'Secure your Account', { qr: setup.qrPngDataUrl, uri: setup.uri, groupedKey: setup.groupedKey, error: error?.message }, error?.status);
}

export function totpScreens(factor: TotpFactor): readonly ScreenRoute[] {
  return [
    { step: 'mfa_enroll', method: 'GET', path: 'mfa/totp', handle: (request) => setupPage(factor, request) },
    {
      step: 'mfa_enroll',
      method: 'POST',
      path: 'mfa/totp',
      handle: async (request) => {
        const outcome = await request.confirm(postedCode(request.form));
        if (outcome.ok) return { kind: 'enrolled' };
        if (outcome.reason === 'stale') return { kind: 'stale' };
        return setupPage(factor, request, { message: outcome.reason === 'malformed' ? MALFORMED_CODE : WRONG_CODE, status: 400 });
      },
    },
    { step: 'mfa', method: 'GET', path: 'mfa/verify', handle: (request) => Promise.resolve(totpCodePage(request.user)) },
    {
      step: 'mfa',
      method: 'POST',
      path: 'mfa/verify',
      handle: async (request) => {
        const result = await request.attempt(postedCode(request.form));
        const message = result.outcome === 'failed' && result.reason === 'malformed' ? MALFORMED_CODE : WRONG_CODE;
        return attemptSettled(result) ?? totpCodePage(request.user, { message, status: 401 });
      },
    },
  ];
}
