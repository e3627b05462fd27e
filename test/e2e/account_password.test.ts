import { onEachBackend } from '../helpers/backends.ts';
import { accountPasswordSuite } from './account_password.suite.ts';

onEachBackend('Password & Security › Change Password', accountPasswordSuite);
