import { useRedis } from '../helpers/redis_suite.ts';
import { smsFlowSuite } from './sms_flow.suite.ts';

describe('SMS flow on the in-memory stores', () => {
  smsFlowSuite(() => ({ kind: 'memory' }));
});

describe('SMS flow on Redis', () => {
  const redis = useRedis();
  let run = 0;
  smsFlowSuite(() => ({ kind: 'redis', url: redis().url, prefix: `${redis().prefix}${++run}:` }));
});
