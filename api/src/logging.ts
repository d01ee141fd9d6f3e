import pino from 'pino';
import type { Logger } from 'pino';
import SonicBoom from 'sonic-boom';

/**
 * stdout, written in batches of about 4 KiB: one write per log line costs more than a whole
 * prediction. `flushSync()` empties the buffer before the process exits.
 *
 * sonic-boom 5 rather than pino.destination(), which builds on sonic-boom 4: there, a flushSync
 * that meets a closed pipe (EPIPE: whoever read our logs has gone) retries forever, so the exit
 * flush hangs the process and no signal can stop it. Once stdout is gone, logging stops and
 * serving goes on.
 */
export function stdoutDestination(): SonicBoom {
  const destination = new SonicBoom({ fd: 1, sync: false, minLength: 4096 });
  destination.on('error', (error: NodeJS.ErrnoException) => {
    destination.write = () => true;
    destination.flush = (cb?: (err?: Error) => unknown) => void cb?.();
    destination.flushSync = () => undefined;
    try {
      process.stderr.write(`logging stopped: stdout failed (${error.code ?? error.message})\n`);
    } catch {
      // stderr is gone too: nothing left to tell.
    }
  });
  return destination;
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

/**
 * The logger for the one line per request, which `observeRequest` writes from fixed fields (id,
 * method, route, path, status, time, user name) and never from headers: redaction has nothing to
 * find there, and it costs about as much as writing the line.
 */
export function accessLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

export type { Logger };
