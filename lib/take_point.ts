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
