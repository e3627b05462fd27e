import { onEachBackend } from '../helpers/backends.ts';
import { accountRecoverySuite } from './account_recovery.suite.ts';

onEachBackend('Password & Security › Request New Code', accountRecoverySuite);
