import { onEachBackend } from '../helpers/backends.ts';
import { accountSecuritySuite } from './account_security.suite.ts';

onEachBackend('Password & Security', accountSecuritySuite);
