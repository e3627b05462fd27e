import { onEachBackend } from '../helpers/backends.ts';
import { smsFlowSuite } from './sms_flow.suite.ts';

onEachBackend('SMS flow', smsFlowSuite);
