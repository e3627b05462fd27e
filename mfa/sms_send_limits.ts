import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SmsLimits } from '../config/config.ts';
import type { LimiterFactory } from '../security/login_throttle.ts';

export type SendVerdict = { allowed: true } | { allowed: false; reason: 'cooldown' | 'limit'; retryAfterSeconds: number };

const HOUR = 3600;
const DAY = 86400;

/**
 * Defences against SMS pumping and toll fraud: a cooldown per number, and caps per number, account,
 * client IP and country (hourly and daily) and a global daily cap. A send counts against every cap
 * when it is allowed, before the gateway is called, so a failing gateway cannot be hammered either.
 */
export class SmsSendLimits {
  readonly #cooldown: RateLimiterAbstract | undefined;
  readonly #caps: { limiter: RateLimiterAbstract; key: (s: SendSubject) => string; points: number }[];

  constructor(limits: SmsLimits, make: LimiterFactory) {
    this.#cooldown = limits.cooldownSeconds > 0 ? make('sms_cooldown', 1, limits.cooldownSeconds) : undefined;
    const cap = (name: string, points: number, seconds: number, key: (s: SendSubject) => string) => ({ limiter: make(name, points, seconds), key, points });
    this.#caps = [
      cap('sms_number_h', limits.perNumber.hour, HOUR, (s) => s.number),
      cap('sms_number_d', limits.perNumber.day, DAY, (s) => s.number),
      cap('sms_account_h', limits.perAccount.hour, HOUR, (s) => s.userId),
      cap('sms_account_d', limits.perAccount.day, DAY, (s) => s.userId),
      cap('sms_ip_h', limits.perIp.hour, HOUR, (s) => s.ip),
      cap('sms_ip_d', limits.perIp.day, DAY, (s) => s.ip),
      cap('sms_country_h', limits.perCountry.hour, HOUR, (s) => s.country),
      cap('sms_country_d', limits.perCountry.day, DAY, (s) => s.country),
      cap('sms_global_d', limits.globalPerDay, DAY, () => 'all'),
    ];
  }

  async take(subject: SendSubject): Promise<SendVerdict> {
    const used = await Promise.all(this.#caps.map((c) => c.limiter.get(c.key(subject))));
    const full = used.flatMap((res, i) => (res !== null && res.consumedPoints >= (this.#caps[i]?.points ?? 0) ? [res.msBeforeNext] : []));
    if (full.length > 0) return { allowed: false, reason: 'limit', retryAfterSeconds: Math.ceil(Math.max(...full) / 1000) };
    try {
      await this.#cooldown?.consume(subject.number);
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, reason: 'cooldown', retryAfterSeconds: Math.ceil(err.msBeforeNext / 1000) };
      throw err;
    }
    await Promise.all(this.#caps.map((c) => c.limiter.consume(c.key(subject)).catch((err: unknown) => {
      if (!(err instanceof RateLimiterRes)) throw err;
    })));
    return { allowed: true };
  }
}

export interface SendSubject {
  userId: string;
  number: string;
  country: string;
  ip: string;
}
