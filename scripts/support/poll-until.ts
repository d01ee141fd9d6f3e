/**
 * Bounded waiting for the harnesses that start processes, containers and clusters: ask again until
 * the answer is the one wanted or the time is up, never a fixed sleep standing in for "long
 * enough". `pollUntil` hands back the last answer and whether it was the wanted one (a check that
 * reports what it saw); `waitFor` throws, naming what it waited for, when the time runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Polled<T> {
  /** The last answer. */
  value: T;
  /** Whether it was the one wanted (false: the time ran out). */
  done: boolean;
  seconds: number;
}

export interface PollTiming {
  timeoutMs: number;
  /** The pause between two probes. */
  intervalMs: number;
}

/**
 * Calls `probe` every `intervalMs` until `done(answer)` or `timeoutMs` have passed; it always asks
 * at least once. A probe that throws ends the wait with its error: the probe decides what "not yet"
 * looks like.
 */
export async function pollUntil<T>(
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  timing: PollTiming,
): Promise<Polled<T>> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    const elapsedMs = Date.now() - start;
    if (done(value)) return { value, done: true, seconds: elapsedMs / 1000 };
    if (elapsedMs >= timing.timeoutMs) return { value, done: false, seconds: elapsedMs / 1000 };
    await sleep(timing.intervalMs);
  }
}

/** An error's message and, for fetch's "fetch failed", the code of its cause (ECONNREFUSED). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${error.message}: ${code}` : error.message;
}

export interface WaitOptions extends PollTiming {
  /** Asked before each probe: an error ends the wait at once (the process that was to answer has exited). */
  abortIf?: () => Error | undefined;
  /** Appended to the timeout message (the log tail of the process waited for). */
  detail?: () => string;
}

/**
 * Polls `probe` until it returns true and resolves with the milliseconds that took. A probe that
 * throws counts as "not yet" (connection refused is what a start is waited out for); the last such
 * error goes into the message of the timeout, which names `what`.
 */
export async function waitFor(
  what: string,
  probe: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<number> {
  let lastError: string | undefined;
  const attempt = async (): Promise<boolean> => {
    const aborted = options.abortIf?.();
    if (aborted) throw aborted;
    try {
      return await probe();
    } catch (error) {
      lastError = describeError(error);
      return false;
    }
  };
  const polled = await pollUntil(attempt, (ready) => ready, options);
  if (polled.done) return Math.round(polled.seconds * 1000);
  const cause = lastError === undefined ? '' : ` (last error: ${lastError})`;
  const detail = options.detail ? `:\n${options.detail()}` : '';
  throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}${cause}${detail}`);
}
