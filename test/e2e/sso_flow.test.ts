import { onEachBackend } from '../helpers/backends.ts';
import { ssoFlowSuite } from './sso_flow.suite.ts';

onEachBackend('upstream SSO', ssoFlowSuite);
