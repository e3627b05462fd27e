import { useRedis } from '../helpers/redis_suite.ts';
import { loginFlowSuite } from './login_flow.suite.ts';

describe('login flow on the in-memory stores', () => {
  loginFlowSuite(() => ({ kind: 'memory' }));
});

describe('login flow on Redis', () => {
  const redis = useRedis();
  loginFlowSuite(() => ({ kind: 'redis', url: redis().url, prefix: redis().prefix }));
});
