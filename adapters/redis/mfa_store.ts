import { isMethodId } from '../../mfa/registry.ts';
import type { FactorState, FlowStore, LockState, MethodId, MethodRemoval, MfaFactorStore, MfaLockoutStore, NewFactor, PhoneRecord, SmsCodeCheck, SmsCodeStore, TotpRecord } from '../../mfa/store.ts';
import { z } from 'zod';
import type { RedisClient } from './client.ts';
import { NO_REPLICA_ACKS, type ReplicaAcks } from './replica_acks.ts';
import { flowValue, lockStateHash, parseJsonRecord, parseRecord, phoneRecord, smsCodeCheck, totpRecord } from '../records.ts';

/** Accepts a time step only if it is later than the stored one. */
const CLAIM_STEP = `
local last = redis.call('HGET', KEYS[1], 'totp_step')
if last and tonumber(ARGV[1]) <= tonumber(last) then return 0 end
redis.call('HSET', KEYS[1], 'totp_step', ARGV[1])
return 1`;

/** Removes the recovery code if it matches: exactly one caller wins. */
const CONSUME_RECOVERY = `
if redis.call('HGET', KEYS[1], 'recovery') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'recovery', 'recovery_at')
  return 1
end
return 0`;

/**
 * A recovery code used at sign-in: if it matches ARGV[1], it goes with the fields ARGV[3..] (the
 * methods), the account is recovering in session ARGV[2], and the version is bumped. Mirrors
 * MemoryMfaFactorStore.redeemRecoveryCode.
 */
const REDEEM_RECOVERY = `
if redis.call('HGET', KEYS[1], 'recovery') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'recovery', 'recovery_at')
for i = 3, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('HSET', KEYS[1], 'recovering_session', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1`;

/** Replaces the recovery code with ARGV[1], forgetting when the old one was issued. */
const SET_RECOVERY_WITHOUT_DATE = `
redis.call('HSET', KEYS[1], 'recovery', ARGV[1])
redis.call('HDEL', KEYS[1], 'recovery_at')
return 1`;

/**
 * Stores a factor if the factors' version is still ARGV[1] ('' stores unconditionally), bumps the
 * version and ends recovery. ARGV: expected version, field, JSON, totp step ('' for a phone).
 */
const STORE_FACTOR = `
if ARGV[1] ~= '' and tonumber(redis.call('HGET', KEYS[1], 'version') or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'totp_step', ARGV[4]) end
redis.call('HDEL', KEYS[1], 'recovering_session')
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1`;

/** Removes the fields ARGV and bumps the version. */
const REMOVE_FACTORS = `
for i = 1, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1`;

/**
 * Password & Security's Remove, if the factors' version is still ARGV[1]: the preferred method
 * becomes ARGV[2] ('' for none), the recovery code goes when ARGV[3] is '1', the fields ARGV[4..]
 * go, and the version is bumped. Mirrors MemoryMfaFactorStore.removeMethodIfUnchanged.
 */
const REMOVE_METHOD_IF_UNCHANGED = `
if tonumber(redis.call('HGET', KEYS[1], 'version') or '0') ~= tonumber(ARGV[1]) then return 0 end
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], 'preferred') else redis.call('HSET', KEYS[1], 'preferred', ARGV[2]) end
if ARGV[3] == '1' then redis.call('HDEL', KEYS[1], 'recovery', 'recovery_at') end
for i = 4, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
return 1`;

/** The hash fields that hold each method (a new method adds its line: the type asks for it). */
const METHOD_FIELDS: Record<MethodId, string[]> = { totp: ['totp', 'totp_step'], sms: ['phone'] };
/** A recovery means the device is lost: every method goes (the phone too: it may be that device). */
const RECOVERY_DROPS = Object.values(METHOD_FIELDS).flat();

/**
 * An admin reset: everything of the user's factors goes but the version, which is bumped, so that
 * a stale enrollment's compare-and-set fails. Mirrors MemoryMfaFactorStore.resetFactors.
 */
const RESET_FACTORS = `
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'version', version + 1)
return 1`;

/** Mirrors MemoryMfaLockoutStore.beginAttempt. ARGV: now, ttl seconds. */
const BEGIN_ATTEMPT = `
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
if locked_until > tonumber(ARGV[1]) then return {1, tostring(locked_until), 0} end
local attempt = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {0, tostring(attempt), tonumber(redis.call('HGET', KEYS[1], 'level') or '0')}`;

/** {locked, lockedUntil or attempt (a decimal string: Lua numbers are doubles), level}. */
const beginAttemptReply = z.tuple([z.union([z.literal(0), z.literal(1)]), z.string().regex(/^-?\d+$/).transform(Number), z.number()]);

/** Mirrors MemoryMfaLockoutStore.lock (compare-and-set on the level). ARGV: from level, next level, locked until, ttl seconds. */
const LOCK = `
if tonumber(redis.call('HGET', KEYS[1], 'level') or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'level', ARGV[2], 'failures', 0, 'lockedUntil', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1`;

/** 1 when a script did what it was asked, 0 when its condition refused it. */
const doneReply = z.union([z.literal(0), z.literal(1)]);

/** A lock level is forgotten a day after the last failure. */
const LOCK_STATE_TTL_SECONDS = 24 * 3600;

/**
 * MFA data in Redis. All of a user's factors live in one hash, so each script touches one key:
 *   {prefix}mfa:{u:<id>}:factors   HASH totp (JSON, sealed secret), totp_step, phone (JSON), recovery (SHA-256), recovery_at (ms), preferred,
 *                                  version (compare-and-set token of enrollment), recovering_session
 *   {prefix}sms:<key>              HASH hash, expiresAt, checks (one sent code), TTL = its validity
 *   {prefix}mfa:{u:<id>}:lock      HASH failures, level, lockedUntil
 *   {prefix}flow:<key>             JSON, with a TTL
 */
/**
 * Writes that change what a user can sign in with (enrollments, removals, resets, the recovery code's
 * issue and use) are confirmed by a replica before they are reported done (ReplicaAcks), so that a
 * failover cannot bring back a used recovery code or lose an enrollment the user was shown.
 */
export class RedisMfaFactorStore implements MfaFactorStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #acks: ReplicaAcks;

  constructor(redis: RedisClient, prefix: string, acks: ReplicaAcks = NO_REPLICA_ACKS) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#acks = acks;
  }

  async getTotp(userId: string): Promise<TotpRecord | undefined> {
    const json = await this.#redis.hGet(this.#key(userId), 'totp');
    return json == null ? undefined : parseJsonRecord(totpRecord, json, 'mfa authenticator');
  }

  async saveTotp(userId: string, record: TotpRecord, timeStep: number): Promise<void> {
    await this.#storeFactor(userId, { kind: 'totp', record, timeStep }, undefined);
  }

  async removeTotp(userId: string): Promise<void> {
    await this.#removeFactors(userId, ['totp', 'totp_step']);
  }

  async claimTotpStep(userId: string, timeStep: number): Promise<boolean> {
    return (await this.#redis.eval(CLAIM_STEP, { keys: [this.#key(userId)], arguments: [String(timeStep)] })) === 1;
  }

  async setRecoveryCodeHash(userId: string, hash: string, issuedAt?: number): Promise<void> {
    if (issuedAt === undefined) await this.#redis.eval(SET_RECOVERY_WITHOUT_DATE, { keys: [this.#key(userId)], arguments: [hash] });
    else await this.#redis.hSet(this.#key(userId), { recovery: hash, recovery_at: String(issuedAt) });
    await this.#acks.confirm(this.#key(userId));
  }

  async hasRecoveryCode(userId: string): Promise<boolean> {
    return (await this.#redis.hExists(this.#key(userId), 'recovery')) === 1;
  }

  async removeRecoveryCode(userId: string): Promise<void> {
    await this.#redis.hDel(this.#key(userId), ['recovery', 'recovery_at']);
    await this.#acks.confirm(this.#key(userId));
  }

  async consumeRecoveryCode(userId: string, hash: string): Promise<boolean> {
    const consumed = (await this.#redis.eval(CONSUME_RECOVERY, { keys: [this.#key(userId)], arguments: [hash] })) === 1;
    if (consumed) await this.#acks.confirm(this.#key(userId));
    return consumed;
  }

  async getPhone(userId: string): Promise<PhoneRecord | undefined> {
    const json = await this.#redis.hGet(this.#key(userId), 'phone');
    return json == null ? undefined : parseJsonRecord(phoneRecord, json, 'mfa phone');
  }

  async savePhone(userId: string, record: PhoneRecord): Promise<void> {
    await this.#storeFactor(userId, { kind: 'phone', record }, undefined);
  }

  async removePhone(userId: string): Promise<void> {
    await this.#removeFactors(userId, ['phone']);
  }

  async factorsOf(userId: string): Promise<FactorState> {
    const [totp, phone, preferred, version, recoveringSession, recovery, recoveryAt] = await this.#redis.hmGet(this.#key(userId), ['totp', 'phone', 'preferred', 'version', 'recovering_session', 'recovery', 'recovery_at']);
    return {
      totp: totp != null,
      phone: phone == null ? undefined : parseJsonRecord(phoneRecord, phone, 'mfa phone'),
      // A method no longer registered is no preference.
      preferred: isMethodId(preferred) ? preferred : undefined,
      version: Number(version ?? 0),
      recoveringSession: recoveringSession ?? undefined,
      recoveryCode: recovery != null,
      recoveryCodeIssuedAt: recovery != null && recoveryAt != null ? Number(recoveryAt) : undefined,
    };
  }

  enrollIfUnchanged(userId: string, factor: NewFactor, expectedVersion: number): Promise<boolean> {
    return this.#storeFactor(userId, factor, expectedVersion);
  }

  async removeMethodIfUnchanged(userId: string, removal: MethodRemoval, expectedVersion: number): Promise<boolean> {
    const removed = await this.#redis.eval(REMOVE_METHOD_IF_UNCHANGED, {
      keys: [this.#key(userId)],
      arguments: [String(expectedVersion), removal.preferred ?? '', removal.dropRecoveryCode ? '1' : '0', ...METHOD_FIELDS[removal.method]],
    });
    if (removed === 1) await this.#acks.confirm(this.#key(userId));
    return removed === 1;
  }

  async redeemRecoveryCode(userId: string, hash: string, sessionUid: string): Promise<boolean> {
    const redeemed = (await this.#redis.eval(REDEEM_RECOVERY, { keys: [this.#key(userId)], arguments: [hash, sessionUid, ...RECOVERY_DROPS] })) === 1;
    if (redeemed) await this.#acks.confirm(this.#key(userId));
    return redeemed;
  }

  async resetFactors(userId: string): Promise<void> {
    await this.#redis.eval(RESET_FACTORS, { keys: [this.#key(userId)] });
    await this.#acks.confirm(this.#key(userId));
  }

  async #storeFactor(userId: string, factor: NewFactor, expectedVersion: number | undefined): Promise<boolean> {
    const [field, timeStep] = factor.kind === 'totp' ? ['totp', String(factor.timeStep)] : ['phone', ''];
    const stored = await this.#redis.eval(STORE_FACTOR, {
      keys: [this.#key(userId)],
      arguments: [expectedVersion === undefined ? '' : String(expectedVersion), field, JSON.stringify(factor.record), timeStep],
    });
    if (stored === 1) await this.#acks.confirm(this.#key(userId));
    return stored === 1;
  }

  async #removeFactors(userId: string, fields: string[]): Promise<void> {
    await this.#redis.eval(REMOVE_FACTORS, { keys: [this.#key(userId)], arguments: fields });
    await this.#acks.confirm(this.#key(userId));
  }

  async setPreferredMethod(userId: string, method: MethodId): Promise<void> {
    await this.#redis.hSet(this.#key(userId), 'preferred', method);
  }

  #key(userId: string): string {
    return `${this.#prefix}mfa:{u:${userId}}:factors`;
  }
}

/** A failure is counted, and confirmed by a replica, before the code is checked: a failover cannot hand back attempts. */
export class RedisMfaLockoutStore implements MfaLockoutStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #acks: ReplicaAcks;

  constructor(redis: RedisClient, prefix: string, acks: ReplicaAcks = NO_REPLICA_ACKS) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#acks = acks;
  }

  async read(userId: string): Promise<LockState> {
    return parseRecord(lockStateHash, await this.#redis.hGetAll(this.#key(userId)), 'mfa lockout');
  }

  async beginAttempt(userId: string, nowMs: number): Promise<{ locked: true; lockedUntil: number } | { locked: false; attempt: number; level: number }> {
    const reply = await this.#redis.eval(BEGIN_ATTEMPT, { keys: [this.#key(userId)], arguments: [String(nowMs), String(LOCK_STATE_TTL_SECONDS)] });
    const [locked, value, level] = parseRecord(beginAttemptReply, reply, 'mfa lockout attempt reply');
    if (locked === 0) await this.#acks.confirm(this.#key(userId));
    return locked === 1 ? { locked: true, lockedUntil: value } : { locked: false, attempt: value, level };
  }

  async lock(userId: string, fromLevel: number, lockedUntil: number): Promise<LockState | undefined> {
    const reply = await this.#redis.eval(LOCK, {
      keys: [this.#key(userId)],
      arguments: [String(fromLevel), String(fromLevel + 1), String(lockedUntil), String(LOCK_STATE_TTL_SECONDS)],
    });
    if (parseRecord(doneReply, reply, 'mfa lock reply') === 0) return undefined;
    await this.#acks.confirm(this.#key(userId));
    return { failures: 0, level: fromLevel + 1, lockedUntil };
  }

  async reset(userId: string): Promise<void> {
    await this.#redis.del(this.#key(userId));
  }

  #key(userId: string): string {
    return `${this.#prefix}mfa:{u:${userId}}:lock`;
  }
}

export class RedisFlowStore implements FlowStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}flow:`;
  }

  async get(key: string): Promise<Record<string, unknown> | undefined> {
    const json = await this.#redis.get(this.#prefix + key);
    return json === null ? undefined : parseJsonRecord(flowValue, json, 'flow state');
  }

  async set(key: string, value: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    await this.#redis.set(this.#prefix + key, JSON.stringify(value), { expiration: { type: 'EX', value: ttlSeconds } });
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }

  async take(key: string): Promise<Record<string, unknown> | undefined> {
    const json = await this.#redis.getDel(this.#prefix + key);
    return json === null ? undefined : parseJsonRecord(flowValue, json, 'flow state');
  }
}

/** A new code replaces any earlier one with its own check count. ARGV: hash, expires at (ms), ttl seconds. */
const PUT_SMS_CODE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'expiresAt', ARGV[2], 'checks', 0)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Mirrors MemorySmsCodeStore.check. ARGV: hash, now, maxChecks. */
const CHECK_SMS_CODE = `
local stored = redis.call('HMGET', KEYS[1], 'hash', 'expiresAt')
if not stored[1] then return 'missing' end
if tonumber(stored[2]) <= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) return 'expired' end
local checks = redis.call('HINCRBY', KEYS[1], 'checks', 1)
if stored[1] == ARGV[1] then redis.call('DEL', KEYS[1]) return 'ok' end
if checks >= tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) return 'exhausted' end
return 'mismatch'`;

export class RedisSmsCodeStore implements SmsCodeStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(redis: RedisClient, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}sms:`;
  }

  async put(key: string, hash: string, expiresAtMs: number, ttlSeconds: number): Promise<void> {
    const redisKey = this.#prefix + key;
    await this.#redis.eval(PUT_SMS_CODE, { keys: [redisKey], arguments: [hash, String(expiresAtMs), String(ttlSeconds)] });
  }

  async check(key: string, hash: string, nowMs: number, maxChecks: number): Promise<SmsCodeCheck> {
    const reply = await this.#redis.eval(CHECK_SMS_CODE, { keys: [this.#prefix + key], arguments: [hash, String(nowMs), String(maxChecks)] });
    return parseRecord(smsCodeCheck, reply, 'sms code check reply');
  }
}
