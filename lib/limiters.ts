import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Makes a rate limiter on the app's backend (adapters/limiters.ts): memory or Redis. Counters that
 * must hold across instances (password and MFA failures, SMS sends) come from here.
 */
export type LimiterFactory = (keyPrefix: string, points: number, durationSeconds: number) => RateLimiterAbstract;
