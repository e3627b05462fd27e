/** Milliseconds since the epoch. Injected everywhere time matters, so tests move time instead of sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

export type ManualClock = Clock & { advance(ms: number): void };

/** A clock for tests: starts at `start` and only moves when told. */
export function manualClock(start = Date.now()): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}
