import type { Histogram } from 'prom-client';
import { timeTracingChannel } from '../../lib/trace_timing.ts';

/** node-redis 6's tracing channel for every command it sends (its CHANNELS.TRACE_COMMAND). */
const REDIS_COMMAND_CHANNEL = 'node-redis:command';

/**
 * Times every Redis command of the process by its name (EVALSHA, GET, HSET, …: a handful, so the
 * label stays small), a pipeline's commands each on their own. The channel is node-redis's, global to
 * the process, so this needs no client: it covers every store, a Cluster's per-node clients and
 * Sentinel's too. node-redis builds a trace context per command only while someone subscribes.
 * Returns the unsubscribe.
 */
export function timeRedisCommands(histogram: Pick<Histogram<'command'>, 'observe'>): () => void {
  return timeTracingChannel(REDIS_COMMAND_CHANNEL, (seconds, context) => {
    const command = 'command' in context && typeof context.command === 'string' ? context.command : 'unknown';
    histogram.observe({ command }, seconds);
  });
}
