import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export type Taken = { ok: true; consumed: number } | { ok: false; msBeforeNext: number };

/**
 * Takes one point from a limiter in a single atomic step (an increment in memory, a script in
 * Redis): the count is raised before the guarded work runs, so parallel requests cannot all pass a
 * read of the old count. `consumed` is this request's place in the window (1 = the first). A
 * refusal (`ok: false`) has raised the count too: give the point back if the request is to leave no
 * trace. Store errors propagate, so the caller fails closed.
 */
export async function takePoint(limiter: RateLimiterAbstract, key: string): Promise<Taken> {
  try {
    const res = await limiter.consume(key);
    return { ok: true, consumed: res.consumedPoints };
  } catch (err) {
    if (err instanceof RateLimiterRes) return { ok: false, msBeforeNext: err.msBeforeNext };
    throw err;
  }
}

/** Gives back a point taken for work that did not happen (a refused request). */
export async function givePointBack(limiter: RateLimiterAbstract, key: string): Promise<void> {
  await limiter.reward(key, 1);
}

/**
 * Takes a point from each limiter, all at once. When the store fails for any of them, the points
 * the others took are given back (as far as the store lets) before the error goes on: the request
 * checked nothing, so an outage of one shard must not count against an account or an address.
 */
export async function takePoints(takes: readonly { limiter: RateLimiterAbstract; key: string }[]): Promise<Taken[]> {
  const settled = await Promise.allSettled(takes.map(({ limiter, key }) => takePoint(limiter, key)));
  const failure = settled.find((r) => r.status === 'rejected');
  if (!failure) return settled.map((r) => (r as PromiseFulfilledResult<Taken>).value);
  await giveBackQuietly(takes.filter((_, i) => settled[i]?.status === 'fulfilled'));
  throw failure.reason;
}

/** Gives points back on the way out of a failed request: a second store error must not hide the first. */
export async function giveBackQuietly(takes: readonly { limiter: RateLimiterAbstract; key: string }[]): Promise<void> {
  await Promise.allSettled(takes.map(({ limiter, key }) => givePointBack(limiter, key)));
}
