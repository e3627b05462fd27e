import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SmsLimits } from '../../../config/config.ts';
import type { LimiterFactory } from '../../../lib/limiters.ts';
import { givePointBack, takePoint } from '../../../lib/take_point.ts';

export type SendVerdict = { allowed: true } | { allowed: false; reason: 'cooldown' | 'limit'; retryAfterSeconds: number };

const HOUR = 3600;
const DAY = 86400;

interface Counter {
  limiter: RateLimiterAbstract;
  key: (s: SendSubject) => string;
  isCooldown: boolean;
}

/**
 * Defences against SMS pumping and toll fraud: a cooldown per number, and caps per number, account,
 * client IP and country (hourly and daily) and a global daily cap.
 *
 * A send takes a point from every counter at once, each in one atomic step, before the gateway is
 * called (so a failing gateway cannot be hammered either): parallel sends cannot all pass a read of
 * the old counts. If any counter is past its limit the send is refused and every point it took is
 * given back, so refused requests (say, from an address over its cap) never use up another cap,
 * such as the victim number's or account's, nor extend a cooldown. Between the take and the
 * give-back a parallel send may see the higher count and be refused too: that errs on the safe side.
 */
export class SmsSendLimits {
  readonly #counters: Counter[];

  constructor(limits: SmsLimits, make: LimiterFactory) {
    const counter = (name: string, points: number, seconds: number, key: (s: SendSubject) => string, isCooldown = false): Counter => ({ limiter: make(name, points, seconds), key, isCooldown });
    this.#counters = [
      ...(limits.cooldownSeconds > 0 ? [counter('sms_cooldown', 1, limits.cooldownSeconds, (s) => s.numberKey, true)] : []),
      counter('sms_number_h', limits.perNumber.hour, HOUR, (s) => s.numberKey),
      counter('sms_number_d', limits.perNumber.day, DAY, (s) => s.numberKey),
      counter('sms_account_h', limits.perAccount.hour, HOUR, (s) => s.userId),
      counter('sms_account_d', limits.perAccount.day, DAY, (s) => s.userId),
      counter('sms_ip_h', limits.perIp.hour, HOUR, (s) => s.ip),
      counter('sms_ip_d', limits.perIp.day, DAY, (s) => s.ip),
      counter('sms_country_h', limits.perCountry.hour, HOUR, (s) => s.country),
      counter('sms_country_d', limits.perCountry.day, DAY, (s) => s.country),
      counter('sms_global_d', limits.globalPerDay, DAY, () => 'all'),
    ];
  }

  async take(subject: SendSubject): Promise<SendVerdict> {
    const taken = await Promise.all(this.#counters.map((c) => takePoint(c.limiter, c.key(subject))));
    const refusedBy = this.#counters.flatMap((c, i) => {
      const t = taken[i];
      return t && !t.ok ? [{ isCooldown: c.isCooldown, msBeforeNext: t.msBeforeNext }] : [];
    });
    if (refusedBy.length === 0) return { allowed: true };
    await Promise.all(this.#counters.map((c) => givePointBack(c.limiter, c.key(subject))));
    // The cooldown is the shorter wait and says "wait a moment" rather than "too many": it wins when it is the only refusal.
    const reason = refusedBy.every((r) => r.isCooldown) ? 'cooldown' : 'limit';
    return { allowed: false, reason, retryAfterSeconds: Math.ceil(Math.max(...refusedBy.map((r) => r.msBeforeNext)) / 1000) };
  }

  /**
   * The gateway did not send the text: the number's cooldown ("a code was just sent, wait") is
   * cleared, so the person may ask again at once; the caps keep their points, so a failing gateway
   * still cannot be called more often than they allow. Cleared, not given a point back: a gateway
   * slower than the cooldown would otherwise give the point to the next window, below zero, and let
   * two texts through it.
   */
  async notSent(subject: SendSubject): Promise<void> {
    await Promise.all(this.#counters.filter((c) => c.isCooldown).map((c) => c.limiter.delete(c.key(subject))));
  }
}

export interface SendSubject {
  userId: string;
  /** The number's keyed hash (mfa/phone_key.ts), never the number: it becomes part of key names. */
  numberKey: string;
  country: string;
  ip: string;
}
