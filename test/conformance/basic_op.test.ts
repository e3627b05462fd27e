import { basicOpPlan } from './basic_op.suite.ts';

describe('Basic OP (oidcc-basic-certification-test-plan)', () => {
  basicOpPlan('default');
});
