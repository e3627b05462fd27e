import { onEachBackend } from '../helpers/backends.ts';
import { loginFlowSuite } from './login_flow.suite.ts';

onEachBackend('login flow', loginFlowSuite);
