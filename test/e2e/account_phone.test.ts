import { onEachBackend } from '../helpers/backends.ts';
import { accountPhoneSuite } from './account_phone.suite.ts';

onEachBackend('Password & Security: add or change the phone number', accountPhoneSuite);
