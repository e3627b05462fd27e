import { hash } from '@node-rs/argon2';

/**
 * BENCH_HASH=off: the smallest argon2id @node-rs/argon2 accepts. Verifying it costs microseconds, so
 * both apps run their real password check while what is measured is their own work around it.
 */
export function cheapHash(password: string): Promise<string> {
  return hash(password, { memoryCost: 8, timeCost: 1, parallelism: 1 });
}
