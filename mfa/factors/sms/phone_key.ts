import { createHmac } from 'node:crypto';

/** Turns a phone number into the name it goes by in storage keys. */
export type PhoneKey = (e164: string) => string;

/**
 * A keyed hash (HMAC-SHA-256) of the number, so key names (the SMS code's binding, the per-number
 * counters and cooldown) never hold a phone number in clear, and a plain hash could not be reversed
 * by hashing every number of a country. `secret` comes from the SecretBox (`deriveKey('sms-number')`).
 */
export function phoneKeyWith(secret: Buffer): PhoneKey {
  return (e164) => createHmac('sha256', secret).update(e164).digest('base64url').slice(0, 22);
}
