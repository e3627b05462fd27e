import { onEachBackend } from '../helpers/backends.ts';
import { mfaFlowSuite } from './mfa_flow.suite.ts';

onEachBackend('MFA flow', mfaFlowSuite);
