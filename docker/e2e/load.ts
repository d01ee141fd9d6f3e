/**
 * Bounded load, two ways: `runLoad`, a fixed number of workers, each pacing itself, for a fixed
 * time, with one action (stopping a replica) fired part-way through; and `closedLoop`, clients
 * sending back to back until the caller says stop. Every response that is not the expected
 * status, and every network error, is a failure the caller asserts on.
 */
import type { HttpResponse } from '../smoke/smoke';
import { sleep } from './processes';

/** One failed request and when it happened, relative to the start of the run. */
export interface LoadFailure {
  atMs: number;
  status?: number;
  error?: string;
}

/** What a load run saw. */
export interface LoadReport {
  total: number;
  failures: LoadFailure[];
  statuses: Record<string, number>;
  durationMs: number;
  /** When the mid-run action started and finished, relative to the start. */
  action?: { startedMs: number; finishedMs: number };
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  durationMs: number;
  workers: number;
  /** Each worker sends at most one request per interval: the rate stays under the edge's limit. */
  intervalMs: number;
  expectStatus: number;
  send: () => Promise<HttpResponse>;
  /** Fired once, `atMs` after the start, while the workers keep sending. */
  during?: { atMs: number; action: () => Promise<void> };
}

/** Runs the load and reports; never throws for a failed request (that is data). */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const started = Date.now();
  const deadline = started + options.durationMs;
  const report: LoadReport = { total: 0, failures: [], statuses: {}, durationMs: 0 };

  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const sent = Date.now();
      report.total += 1;
      try {
        const res = await options.send();
        report.statuses[res.status] = (report.statuses[res.status] ?? 0) + 1;
        if (res.status !== options.expectStatus) report.failures.push({ atMs: sent - started, status: res.status });
      } catch (e) {
        report.statuses.error = (report.statuses.error ?? 0) + 1;
        report.failures.push({ atMs: sent - started, error: e instanceof Error ? e.message : String(e) });
      }
      const rest = options.intervalMs - (Date.now() - sent);
      if (rest > 0) await sleep(rest);
    }
  };

  const during = options.during;
  const action = during
    ? (async () => {
        await sleep(during.atMs);
        const startedMs = Date.now() - started;
        await during.action();
        report.action = { startedMs, finishedMs: Date.now() - started };
      })()
    : Promise.resolve();

  await Promise.all([...Array.from({ length: options.workers }, () => worker()), action]);
  report.durationMs = Date.now() - started;
  return report;
}

/** What a closed loop has seen: every request, each status, and each failure with when it happened. */
export interface LoopTally {
  total: number;
  statuses: Record<string, number>;
  failures: Array<{ atMs: number; what: string }>;
}

/** Options of {@link closedLoop}. */
export interface ClosedLoopOptions<T extends Pick<HttpResponse, 'status' | 'body'>> {
  /** Clients sending at once, each its next request as soon as its last one is answered. */
  clients: number;
  send: () => Promise<T>;
  /** Asked before every request; false ends that client. */
  keepGoing: (tally: LoopTally) => boolean;
  /** Every answer, whatever its status, with the time it was sent (ms since the epoch). */
  onAnswer?: (answer: T, sentAt: number) => void;
}

/**
 * Closed-loop load: `clients` clients send back to back until `keepGoing` says stop. A status
 * other than 200, and a network error, is a failure in the tally: data for the caller to assert
 * on, never a throw. `done` resolves once every client has stopped.
 */
export function closedLoop<T extends Pick<HttpResponse, 'status' | 'body'>>(
  options: ClosedLoopOptions<T>,
): { tally: LoopTally; done: Promise<void> } {
  const started = Date.now();
  const tally: LoopTally = { total: 0, statuses: {}, failures: [] };
  const client = async (): Promise<void> => {
    while (options.keepGoing(tally)) {
      const sentAt = Date.now();
      tally.total++;
      try {
        const answer = await options.send();
        tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
        options.onAnswer?.(answer, sentAt);
        if (answer.status !== 200)
          tally.failures.push({
            atMs: sentAt - started,
            what: `status ${answer.status}: ${answer.body.slice(0, 120)}`,
          });
      } catch (e) {
        tally.statuses.error = (tally.statuses.error ?? 0) + 1;
        tally.failures.push({ atMs: sentAt - started, what: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.clients }, () => client())).then(() => undefined);
  return { tally, done };
}
