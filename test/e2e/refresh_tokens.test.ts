import { onEachBackend } from '../helpers/backends.ts';
import { refreshTokensSuite } from './refresh_tokens.suite.ts';

onEachBackend('refresh tokens', refreshTokensSuite);
