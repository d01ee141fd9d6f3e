import pino from 'pino';
import type { Logger } from 'pino';

/**
 * stdout, written in batches of about 4 KiB: one write per log line costs more than a whole
 * prediction. `flushSync()` empties the buffer before the process exits.
 */
export function stdoutDestination(): ReturnType<typeof pino.destination> {
  return pino.destination({ dest: 1, sync: false, minLength: 4096 });
}

/**
 * Structured JSON logs. Anything that could carry a credential is redacted by path, so a log line
 * never holds an Authorization header, a cookie or a token, whatever a handler logs.
 */
export function createLogger(level: string, destination: pino.DestinationStream = stdoutDestination()): Logger {
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
