import { onEachBackend } from '../helpers/backends.ts';
import { adminApiSuite } from './admin_api.suite.ts';

onEachBackend('the company admin API', adminApiSuite);
