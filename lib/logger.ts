import { pino, type Logger } from 'pino';

/**
 * JSON logs. Redaction is a safety net: the code never passes passwords, codes, secrets or tokens to
 * the logger in the first place, and request logs carry the path without its query string.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'idp' },
    redact: {
      paths: ['password', '*.password', 'code', '*.code', 'secret', '*.secret', 'token', '*.token', 'headers.authorization', 'headers.cookie'],
      censor: '[redacted]',
    },
  });
}
