import pino from 'pino';
import type { Logger } from 'pino';
import SonicBoom from 'sonic-boom';

/** Where log lines go: pino writes each line with `write`; `server.ts` flushes with the other two. */
export interface LogDestination {
  write(line: string): boolean;
  flush(cb?: (err?: Error) => unknown): void;
  flushSync(): void;
}

/** Lines gathered before they are handed to sonic-boom, which then writes them at once. */
const BATCH_CHARS = 4096;

/**
 * stdout, written in batches of about 4 KiB: one write per log line costs more than a whole
 * prediction. `flushSync()` empties the buffer before the process exits.
 *
 * sonic-boom 5 rather than pino.destination(), which builds on sonic-boom 4: there, a flushSync
 * that meets a closed pipe (EPIPE: whoever read our logs has gone) retries forever, so the exit
 * flush hangs the process and no signal can stop it. Once stdout is gone, logging stops and
 * serving goes on.
 *
 * Lines are joined here and reach sonic-boom 4 KiB at a time: sonic-boom's `write` measures the
 * byte length of everything it holds on every call (it appends to one string), which made each
 * ~250-byte access line cost more than pino's formatting of it, about 4 µs.
 */
export function stdoutDestination(): LogDestination {
  const boom = new SonicBoom({ fd: 1, sync: false, minLength: 0 });
  return batchedDestination(boom, (error) => {
    try {
      process.stderr.write(`logging stopped: stdout failed (${error.code ?? error.message})\n`);
    } catch {
      // stderr is gone too: nothing left to tell.
    }
  });
}

/** Joins lines into ~4 KiB chunks for `boom`; after its first error, drops everything and reports once. */
export function batchedDestination(boom: SonicBoom, stopped: (error: NodeJS.ErrnoException) => void): LogDestination {
  let pending = '';
  let failed = false;
  const handOver = (): void => {
    if (pending === '' || failed) return;
    const chunk = pending;
    pending = '';
    boom.write(chunk);
  };
  boom.on('error', (error: NodeJS.ErrnoException) => {
    failed = true;
    pending = '';
    stopped(error);
  });
  return {
    write(line: string): boolean {
      if (failed) return true;
      // A cons string: appending is O(1); sonic-boom flattens it once per chunk.
      pending += line;
      if (pending.length >= BATCH_CHARS) handOver();
      return true;
    },
    flush(cb) {
      handOver();
      if (failed) return void cb?.();
      boom.flush(cb);
    },
    flushSync() {
      handOver();
      if (!failed) boom.flushSync();
    },
  };
}

let clockMs = NaN;
let clockIso = '';

/**
 * `new Date(ms).toISOString()`, formatted once per millisecond: under load many log lines and
 * prediction records share a millisecond, and formatting a date costs about a microsecond.
 */
export function isoTime(ms: number = Date.now()): string {
  if (ms !== clockMs) {
    clockMs = ms;
    clockIso = new Date(ms).toISOString();
  }
  return clockIso;
}

/** pino's `stdTimeFunctions.isoTime` field, through the per-millisecond cache. */
const isoTimeField = (): string => `,"time":"${isoTime()}"`;

/**
 * Structured JSON logs. Anything that could carry a credential is redacted by path, so a log line
 * never holds an Authorization header, a cookie or a token, whatever a handler logs.
 */
export function createLogger(level: string, destination: pino.DestinationStream = stdoutDestination()): Logger {
  return pino(
    {
      level,
      base: { service: 'mlship-api' },
      timestamp: isoTimeField,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'authorization',
          'password',
          'token',
          '*.password',
          '*.token',
        ],
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
