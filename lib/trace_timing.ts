import { tracingChannel } from 'node:diagnostics_channel';

/**
 * Times every traced call on a diagnostics_channel tracing channel (`tracePromise`): `observe` gets
 * its seconds, from start to settle (a rejection settles too), and its context. Returns the unsubscribe.
 *
 * The channel is process-wide: every subscriber sees every call in the process (two app instances in
 * one test process each count both). A publisher that checks `hasSubscribers` pays nothing while no
 * one listens.
 */
export function timeTracingChannel(name: string, observe: (seconds: number, context: object) => void): () => void {
  const channel = tracingChannel(name);
  const started = new WeakMap<object, number>();
  const onStart = (context: unknown): void => {
    if (typeof context === 'object' && context !== null) started.set(context, performance.now());
  };
  const onSettled = (context: unknown): void => {
    if (typeof context !== 'object' || context === null) return;
    const at = started.get(context);
    if (at === undefined) return;
    started.delete(context);
    observe((performance.now() - at) / 1000, context);
  };
  channel.start.subscribe(onStart);
  channel.asyncEnd.subscribe(onSettled);
  return () => {
    channel.start.unsubscribe(onStart);
    channel.asyncEnd.unsubscribe(onSettled);
  };
}
