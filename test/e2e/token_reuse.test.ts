import { onEachBackend } from '../helpers/backends.ts';
import { tokenReuseSuite } from './token_reuse.suite.ts';

onEachBackend('single-use codes and refresh tokens under concurrency', tokenReuseSuite);
