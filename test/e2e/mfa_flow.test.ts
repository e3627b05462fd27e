import { useRedis } from '../helpers/redis_suite.ts';
import { mfaFlowSuite } from './mfa_flow.suite.ts';

describe('MFA flow on the in-memory stores', () => {
  mfaFlowSuite(() => ({ kind: 'memory' }));
});

describe('MFA flow on Redis', () => {
  const redis = useRedis();
  let run = 0;
  mfaFlowSuite(() => ({ kind: 'redis', url: redis().url, prefix: `${redis().prefix}${++run}:` }));
});
