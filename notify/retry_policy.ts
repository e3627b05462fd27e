/** When a failed send is tried again: exponential backoff, capped, until the job is too old to matter. */
export interface RetryPolicy {
  /** The wait after the first failure; it doubles with each further one. */
  firstDelayMs: number;
  /** The longest wait between two attempts. */
  maxDelayMs: number;
  /** No attempt is made once the waits so far add up to this: the job is given up. */
  giveUpAfterMs: number;
}

/**
 * 30 s doubling to 1 h, for about 3 days: an SMTP outage over a weekend is survived, and a security
 * email days late is still worth having; one later than that is noise.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { firstDelayMs: 30_000, maxDelayMs: 3_600_000, giveUpAfterMs: 3 * 86_400_000 };

/**
 * The wait before the next attempt after `failures` failed sends (1 for the first failure), or
 * undefined when the job should be given up. Counted from attempts, not from a stored enqueue time,
 * so the store needs no clock.
 */
export function retryDelayMs(failures: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number | undefined {
  let waited = 0;
  for (let n = 1; n < failures; n++) waited += delayAfter(n, policy);
  return waited >= policy.giveUpAfterMs ? undefined : delayAfter(failures, policy);
}

function delayAfter(failures: number, { firstDelayMs, maxDelayMs }: RetryPolicy): number {
  // 2 ** 30 already exceeds any cap; bounding the exponent keeps the number finite.
  return Math.min(firstDelayMs * 2 ** Math.min(failures - 1, 30), maxDelayMs);
}
