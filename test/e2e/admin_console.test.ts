import { onEachBackend } from '../helpers/backends.ts';
import { adminConsoleSuite } from './admin_console.suite.ts';

onEachBackend('the company admin console', adminConsoleSuite);
