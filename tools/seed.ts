// `npm run seed -- path.json`: imports a seed file into the Redis named by REDIS_URL.
import { loadConfig } from '../config/config.ts';
import { redisStores } from '../adapters/stores.ts';
import { createLogger } from '../lib/logger.ts';
import { importSeed, readSeedFile, seedRules } from '../seed/import.ts';
import { SecretBox } from '../lib/secret_box.ts';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npm run seed -- path/to/seed.json   (REDIS_URL must be set)\n');
  process.exit(2);
}

try {
  const config = loadConfig(process.env);
  if (!config.redis) throw new Error('REDIS_URL (or REDIS_CLUSTER_NODES or REDIS_SENTINELS) is not set: the in-memory store would be lost when this command exits.');
  const seed = await readSeedFile(path, seedRules(config));
  const stores = await redisStores(config.redis.topology, config.redis.replicaAcks, config.redis.prefix, createLogger(config.logLevel));
  try {
    const summary = await importSeed(seed, { ...stores, box: new SecretBox(config.mfaEncryptionKeys) });
    process.stdout.write(`Imported ${summary.companies} companies, ${summary.users} users and ${summary.clients} clients from ${path}\n`);
  } finally {
    await stores.close();
  }
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
