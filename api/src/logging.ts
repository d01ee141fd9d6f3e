import pino from 'pino';
import type { Logger } from 'pino';

/**
 * Structured JSON logs on stdout. Anything that could carry a credential is redacted by path, so a
 * log line never holds an Authorization header, a cookie or a token, whatever a handler logs.
 */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination({ sync: false })): Logger {
  return pino(
    {
      level,
      base: { service: 'mlship-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization', 'password', 'token', '*.password', '*.token'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

export type { Logger };
