import type { TimelinePoint } from './types';

/** k6 percentile: linear interpolation between the closest ranks (grafana/k6 `TrendSink.P`). */
export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return sorted[0]!;
  const rank = fraction * (sorted.length - 1);
  const lower = sorted[Math.floor(rank)]!;
  const upper = sorted[Math.ceil(rank)]!;
  return lower + (upper - lower) * (rank - Math.floor(rank));
}

/** Accumulates samples into fixed slices of the run and yields {@link TimelinePoint}s. */
export class TimelineBuilder {
  private readonly slices = new Map<number, { requests: number; failed: number; latencies: number[]; vus: number }>();

  /** `sliceSeconds` wide slices, counted from `startMs` (epoch milliseconds). */
  constructor(
    private readonly startMs: number,
    private readonly sliceSeconds = 1,
  ) {}

  private slice(atMs: number) {
    const index = Math.max(0, Math.floor((atMs - this.startMs) / 1000 / this.sliceSeconds));
    let slice = this.slices.get(index);
    if (!slice) {
      slice = { requests: 0, failed: 0, latencies: [], vus: 0 };
      this.slices.set(index, slice);
    }
    return slice;
  }

  /** One finished request: when it ended, whether it failed, its duration in ms (if it got an answer). */
  request(atMs: number, failed: boolean, durationMs?: number): void {
    const slice = this.slice(atMs);
    slice.requests++;
    if (failed) slice.failed++;
    if (durationMs !== undefined) slice.latencies.push(durationMs);
  }

  /** Concurrency seen at `atMs`; a slice keeps the highest. */
  vus(atMs: number, value: number): void {
    const slice = this.slice(atMs);
    slice.vus = Math.max(slice.vus, value);
  }

  /**
   * Slices in time order, empty ones included so gaps show as zero throughput. With `endMs` the
   * last slice is as long as the run really went on (a rate over a full slice would dip), and
   * dropped when that is under a fifth of a slice.
   */
  points(endMs?: number): TimelinePoint[] {
    if (this.slices.size === 0) return [];
    const last = Math.max(...this.slices.keys());
    const out: TimelinePoint[] = [];
    for (let i = 0; i <= last; i++) {
      const slice = this.slices.get(i) ?? { requests: 0, failed: 0, latencies: [], vus: 0 };
      let seconds = this.sliceSeconds;
      if (i === last && endMs !== undefined) {
        seconds = Math.min(this.sliceSeconds, (endMs - this.startMs) / 1000 - i * this.sliceSeconds);
        if (seconds < this.sliceSeconds / 5) break;
      }
      const point: TimelinePoint = {
        t: i * this.sliceSeconds,
        seconds: Math.round(seconds * 1000) / 1000,
        requests: slice.requests,
        failed: slice.failed,
      };
      if (slice.latencies.length) {
        const sorted = slice.latencies.sort((a, b) => a - b);
        point.p50 = percentile(sorted, 0.5);
        point.p95 = percentile(sorted, 0.95);
        point.p99 = percentile(sorted, 0.99);
      }
      if (slice.vus > 0) point.vus = slice.vus;
      out.push(point);
    }
    return out;
  }
}

/** One line of `k6 run --out json=…`. */
interface K6JsonLine {
  type?: string;
  metric?: string;
  data?: { time?: string; value?: number; tags?: Record<string, string> | null };
}

/**
 * The throughput and latency timeline of a k6 run from its `--out json` file (one JSON object
 * per line: `{"type":"Point","metric":"http_reqs","data":{"time":…,"value":1,"tags":{…}}}`).
 * Reads `http_reqs`, `http_req_failed`, `http_req_duration` and `vus` points; skips other lines
 * and lines that do not parse. Give it the lines of a gunzipped file for `--out json=x.gz`.
 */
export function timelineFromK6Json(lines: Iterable<string>, sliceSeconds = 1): TimelinePoint[] {
  type Sample = { at: number; metric: string; value: number };
  const samples: Sample[] = [];
  for (const line of lines) {
    if (!line.includes('"Point"')) continue;
    let parsed: K6JsonLine;
    try {
      parsed = JSON.parse(line) as K6JsonLine;
    } catch {
      continue;
    }
    const metric = parsed.metric;
    if (
      parsed.type !== 'Point' ||
      !metric ||
      !['http_reqs', 'http_req_failed', 'http_req_duration', 'vus'].includes(metric)
    )
      continue;
    const at = Date.parse(String(parsed.data?.time));
    const value = parsed.data?.value;
    if (Number.isFinite(at) && typeof value === 'number') samples.push({ at, metric, value });
  }
  if (samples.length === 0) return [];
  let start = Infinity;
  for (const s of samples) start = Math.min(start, s.at);
  const builder = new TimelineBuilder(start, sliceSeconds);
  // k6 emits the request's samples together; pair them up by counting per slice instead of per request.
  const failedBySlice = new Map<number, number>();
  for (const s of samples) {
    const index = Math.floor((s.at - start) / 1000 / sliceSeconds);
    if (s.metric === 'http_req_failed' && s.value !== 0) failedBySlice.set(index, (failedBySlice.get(index) ?? 0) + 1);
  }
  for (const s of samples) {
    if (s.metric === 'vus') builder.vus(s.at, s.value);
    else if (s.metric === 'http_req_duration') builder.request(s.at, false, s.value);
  }
  return builder.points().map((p, index) => ({ ...p, failed: Math.min(p.requests, failedBySlice.get(index) ?? 0) }));
}
