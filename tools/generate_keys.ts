// Prints fresh COOKIE_KEYS and SIGNING_KEYS lines for a .env file. To rotate, put the new key first
// and keep the old ones after it until every cookie and token they signed has expired.
import { randomBytes } from 'node:crypto';
import { generateSigningKey } from '../config/keys.ts';

process.stdout.write(`COOKIE_KEYS=${randomBytes(32).toString('base64url')}\n`);
process.stdout.write(`SIGNING_KEYS='${JSON.stringify({ keys: [generateSigningKey()] })}'\n`);
process.stdout.write(`MFA_ENCRYPTION_KEYS=k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}:${randomBytes(32).toString('base64')}\n`);
