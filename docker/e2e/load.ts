/**
 * Bounded load: a fixed number of workers, each pacing itself, for a fixed time, with one action
 * (stopping a replica) fired part-way through. Every response that is not the expected status,
 * and every network error, is a failure the caller asserts on.
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
