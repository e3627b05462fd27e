import { onEachBackend } from '../helpers/backends.ts';
import { clientAuthSuite } from './client_auth.suite.ts';

onEachBackend('client authentication methods', clientAuthSuite);
