/**
 * The data k6 passes to `handleSummary(data)` (the default, "legacy" shape of k6 0.30 to v2.x,
 * from grafana/k6 `internal/js/summary.go`), which is also what `summary.json` holds, plus the
 * extras a report can show. Types only.
 */

/** Threshold source (`p(95)<500`) to its verdict. */
export type K6Thresholds = Record<string, { ok: boolean }>;

/** One metric of the summary; trends are in milliseconds when `contains` is `time`. */
export type K6Metric =
  | { type: 'trend'; contains: 'time' | 'default' | 'data'; values: Record<string, number>; thresholds?: K6Thresholds }
  | {
      type: 'rate';
      contains: 'default';
      values: { rate: number; passes: number; fails: number };
      thresholds?: K6Thresholds;
    }
  | {
      type: 'counter';
      contains: 'default' | 'data';
      values: { count: number; rate: number };
      thresholds?: K6Thresholds;
    }
  | {
      type: 'gauge';
      contains: 'default';
      values: { value: number; min: number; max: number };
      thresholds?: K6Thresholds;
    };

export interface K6Check {
  name: string;
  path: string;
  id: string;
  passes: number;
  fails: number;
}

export interface K6Group {
  name: string;
  path: string;
  id: string;
  groups: K6Group[];
  checks: K6Check[];
}

/** The whole `handleSummary` argument. Metric keys may carry tags: `http_req_duration{kind:infer}`. */
export interface K6Summary {
  root_group: K6Group;
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean };
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number };
  metrics: Record<string, K6Metric>;
  setup_data?: unknown;
}

/** One slice of the run (usually one second): what the throughput and latency charts draw. */
export interface TimelinePoint {
  /** Seconds since the start of the run, at the start of the slice. */
  t: number;
  /** Length of the slice in seconds. */
  seconds: number;
  requests: number;
  /** Requests counted in `http_req_failed` (unexpected status or no answer). */
  failed: number;
  /** Latency percentiles in milliseconds over the slice (absent when it had no answers). */
  p50?: number;
  p95?: number;
  p99?: number;
  /** Concurrency in the slice (VUs, or open connections for the local runner). */
  vus?: number;
}

/** A free table a report shows as is (e.g. the bench's API-versus-bare-Node comparison). */
export interface ExtraTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  note?: string;
}

/** Everything a renderer takes: the summary plus what k6's summary cannot hold. */
export interface ReportInput {
  summary: K6Summary;
  /** Heading, e.g. `mlship load test: load`. */
  title?: string;
  /** Scenario name, target URL, runner (`k6` or `autocannon`), start time: shown as given. */
  meta?: Record<string, string>;
  timeline?: TimelinePoint[];
  tables?: ExtraTable[];
}
