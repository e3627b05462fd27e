import { onEachBackend } from '../helpers/backends.ts';
import { accountAppSuite } from './account_app.suite.ts';

onEachBackend('Password & Security: the authenticator app, removing a method, the preferred method', accountAppSuite);
