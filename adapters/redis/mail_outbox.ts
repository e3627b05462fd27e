import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_MAIL_RETENTION_SECONDS, type ClaimedMail, type MailOutbox, type MailOutboxStats, type OutgoingMail } from '../../notify/outbox.ts';
import { parseJsonRecord, parseRecord } from '../records.ts';
import type { RedisClient } from './client.ts';

/**
 * Takes the key (kept for the retention, as a TTL) and, only if it was free, adds the job due at
 * once. One script: the check and the set cannot interleave with another instance's, and a key is
 * never taken without its job. KEYS: once, seq, jobs, due, queued.
 * ARGV: retention seconds, mail JSON, queued at (ms). Returns 1 when queued.
 */
const ENQUEUE_ONCE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local id = string.format('%015d', redis.call('INCR', KEYS[2]))
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
redis.call('HSET', KEYS[3], id, ARGV[2])
redis.call('ZADD', KEYS[4], 0, id)
redis.call('ZADD', KEYS[5], ARGV[3], id)
return 1`;

/**
 * Leases the due jobs: their score moves to the end of the lease. KEYS: due, jobs, attempts.
 * ARGV: now, lease end, max. Returns {id, mail JSON, attempts} for each.
 */
const CLAIM_DUE = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(ids) do
  local mail = redis.call('HGET', KEYS[2], id)
  if mail then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    table.insert(claimed, {id, mail, redis.call('HGET', KEYS[3], id) or '0'})
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return claimed`;

/** Reschedules a job that still exists. KEYS: due, jobs, attempts. ARGV: id, due at, attempts. */
const RETRY_AT = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return 1`;

/** Forgets a sent or given-up job. KEYS: due, jobs, attempts, queued. ARGV: id. */
const COMPLETE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1`;

/**
 * The depth and the oldest job's queue time. An index entry whose job is gone (completed by an
 * instance from before the index existed) is dropped on the way, a bounded number per call.
 * KEYS: jobs, queued. Returns {depth} or {depth, queued at}.
 */
const STATS = `
local depth = redis.call('HLEN', KEYS[1])
for _ = 1, 100 do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #oldest == 0 then return {depth} end
  if redis.call('HEXISTS', KEYS[1], oldest[1]) == 1 then return {depth, oldest[2]} end
  redis.call('ZREM', KEYS[2], oldest[1])
end
return {depth}`;

const outgoingMailRecord = z.object({ to: z.string(), subject: z.string(), text: z.string() }) satisfies z.ZodType<OutgoingMail>;
const claimReply = z.array(z.tuple([z.string(), z.string(), z.string().regex(/^\d+$/).transform(Number)]));
/** A sorted set's score comes back as a string in Redis's float format. */
const statsReply = z.union([z.tuple([z.number().int()]), z.tuple([z.number().int(), z.string().transform(Number).pipe(z.number())])]);

/**
 * The outbox in Redis. Every key shares the hash tag {outbox}, so each script touches one slot:
 *   {prefix}mail:{outbox}:once:<sha256 of the enqueue key>   STRING job id, TTL = retention (keys may hold user ids and dates)
 *   {prefix}mail:{outbox}:seq                                 INCR counter: job ids in enqueue order
 *   {prefix}mail:{outbox}:jobs                                HASH job id → mail JSON
 *   {prefix}mail:{outbox}:attempts                            HASH job id → failed sends
 *   {prefix}mail:{outbox}:due                                 ZSET job id by due time (ms; 0 = at once, in id order)
 *   {prefix}mail:{outbox}:queued                              ZSET job id by when it was queued (ms): the backlog's age
 * Jobs have no TTL: they leave when sent or given up. Jobs queued before `queued` existed count in
 * the depth but not in the age.
 */
export class RedisMailOutbox implements MailOutbox {
  readonly #redis: RedisClient;
  readonly #base: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#base = `${prefix}mail:{outbox}:`;
  }

  async enqueueOnce(key: string, mail: OutgoingMail, options?: { retentionSeconds?: number; queuedAtMs?: number }): Promise<boolean> {
    const retentionSeconds = Math.max(1, Math.ceil(options?.retentionSeconds ?? DEFAULT_MAIL_RETENTION_SECONDS));
    const json = JSON.stringify({ to: mail.to, subject: mail.subject, text: mail.text });
    const reply = await this.#redis.eval(ENQUEUE_ONCE, {
      keys: [this.#onceKey(key), this.#key('seq'), this.#key('jobs'), this.#key('due'), this.#key('queued')],
      arguments: [String(retentionSeconds), json, String(Math.floor(options?.queuedAtMs ?? Date.now()))],
    });
    return reply === 1;
  }

  async stats(): Promise<MailOutboxStats> {
    const reply = await this.#redis.eval(STATS, { keys: [this.#key('jobs'), this.#key('queued')] });
    const [depth, oldestQueuedAtMs] = parseRecord(statsReply, reply, 'mail outbox stats reply');
    return { depth, oldestQueuedAtMs };
  }

  async claimDue(nowMs: number, leaseMs: number, max: number): Promise<ClaimedMail[]> {
    const reply = await this.#redis.eval(CLAIM_DUE, {
      keys: [this.#key('due'), this.#key('jobs'), this.#key('attempts')],
      arguments: [String(nowMs), String(nowMs + leaseMs), String(max)],
    });
    return parseRecord(claimReply, reply, 'mail outbox claim reply').map(([id, json, attempts]) => ({ id, mail: parseJsonRecord(outgoingMailRecord, json, 'mail outbox job'), attempts }));
  }

  async complete(id: string): Promise<void> {
    await this.#redis.eval(COMPLETE, { keys: [this.#key('due'), this.#key('jobs'), this.#key('attempts'), this.#key('queued')], arguments: [id] });
  }

  async retryAt(id: string, atMs: number, attempts: number): Promise<void> {
    await this.#redis.eval(RETRY_AT, { keys: [this.#key('due'), this.#key('jobs'), this.#key('attempts')], arguments: [id, String(atMs), String(attempts)] });
  }

  #key(name: 'seq' | 'jobs' | 'attempts' | 'due' | 'queued'): string {
    return `${this.#base}${name}`;
  }

  #onceKey(key: string): string {
    return `${this.#base}once:${createHash('sha256').update(key).digest('hex')}`;
  }
}
