import { onEachBackend } from '../helpers/backends.ts';
import { mfaHardeningSuite } from './mfa_hardening.suite.ts';

onEachBackend('MFA hardening (issue 7)', mfaHardeningSuite);
