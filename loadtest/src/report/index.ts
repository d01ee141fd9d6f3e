/**
 * mlship's load-test report renderer: a k6 end-of-test summary in, strings out. Pure functions
 * with no Node-only dependencies, so the local runner and the k6-report GitHub Action (bundled
 * with esbuild) render byte-identical reports from the same `summary.json`.
 *
 * Exported API:
 * - `renderHtml(input: ReportInput): string`: the self-contained HTML report (inline CSS and
 *   SVG, no scripts, no external assets): verdict, headline numbers, thresholds with observed
 *   values, latency percentiles, throughput and latency over time, per-kind latency, checks,
 *   predictions per class and variant, extra tables, every metric.
 * - `renderMarkdown(input: ReportInput): string`: GitHub job-summary / PR-comment markdown.
 * - `renderJUnit(summary: K6Summary, options?: { name?, classname? }): string`: JUnit XML,
 *   one test case per threshold.
 * - `textSummary(summary: K6Summary, options?: { title?, enableColors?, indent? }): string`: the
 *   console summary (what k6 prints once `handleSummary` is defined; k6 imports `core.ts` itself).
 * - `overview(summary)`, `thresholdRows(summary)`: the verdict and each threshold's row, for a
 *   caller that sets outputs (e.g. `passed`, `failed-thresholds`).
 * - `timelineFromK6Json(lines: Iterable<string>, sliceSeconds?): TimelinePoint[]`: the time
 *   series from `k6 run --out json=…` lines (gunzip first when the file ends in `.gz`).
 * - `parseSummary(json: string): K6Summary`: parses and sanity-checks a `summary.json`, with
 *   one clear error for anything else (e.g. the `--summary-export` shape).
 * - `renderAll(input, options?)`: `{ html, markdown, junit, text }` at once.
 * - Types: `K6Summary`, `K6Metric`, `ReportInput`, `TimelinePoint`, `ExtraTable`.
 *
 * `ReportInput` is `{ summary, title?, meta?: Record<string,string>, timeline?, tables? }`.
 */
import { overview, textSummary, thresholdRows } from './core';
import { renderHtml } from './html';
import { renderJUnit } from './junit';
import { renderMarkdown } from './markdown';
import type { K6Summary, ReportInput } from './types';

export { overview, parseMetricKey, parseThreshold, textSummary, thresholdRows } from './core';
export type { Overview, ParsedThreshold, ThresholdRow, TextSummaryOptions } from './core';
export { renderHtml } from './html';
export { renderJUnit } from './junit';
export type { JUnitOptions } from './junit';
export { renderMarkdown } from './markdown';
export { percentile, timelineFromK6Json, TimelineBuilder } from './timeline';
export type {
  ExtraTable,
  K6Check,
  K6Group,
  K6Metric,
  K6Summary,
  K6Thresholds,
  ReportInput,
  TimelinePoint,
} from './types';

/**
 * Parses a `summary.json` written by `handleSummary` (or the local runner). Throws one line when
 * it is not JSON or not that shape; the `--summary-export` file (metrics hold bare values and
 * thresholds are booleans) is named as such, since it cannot be read the same way.
 */
export function parseSummary(json: string): K6Summary {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new Error(`the summary is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const candidate = data as Partial<K6Summary> | null;
  if (
    !candidate ||
    typeof candidate !== 'object' ||
    typeof candidate.metrics !== 'object' ||
    candidate.metrics === null
  ) {
    throw new Error('the summary has no "metrics" object: expected the data k6 passes to handleSummary');
  }
  const metrics = Object.values(candidate.metrics) as unknown[];
  if (
    metrics.some(
      (m) =>
        typeof m !== 'object' ||
        m === null ||
        typeof (m as { type?: unknown }).type !== 'string' ||
        typeof (m as { values?: unknown }).values !== 'object',
    )
  ) {
    throw new Error(
      'the summary\'s metrics lack "type" and "values": this looks like a --summary-export file; write summary.json ' +
        'from handleSummary instead',
    );
  }
  if (!candidate.state || typeof candidate.state.testRunDurationMs !== 'number' || !candidate.root_group) {
    throw new Error(
      'the summary lacks "state.testRunDurationMs" or "root_group": expected the data k6 passes to handleSummary',
    );
  }
  return { options: { summaryTrendStats: [], summaryTimeUnit: '', noColor: true }, ...candidate } as K6Summary;
}

/** Every rendering of one run at once. */
export function renderAll(
  input: ReportInput,
  options: { classname?: string } = {},
): { html: string; markdown: string; junit: string; text: string } {
  return {
    html: renderHtml(input),
    markdown: renderMarkdown(input),
    junit: renderJUnit(input.summary, {
      name: input.title ?? 'k6 thresholds',
      ...(options.classname ? { classname: options.classname } : {}),
    }),
    text: textSummary(input.summary, { title: input.title ?? 'k6 summary', enableColors: false }),
  };
}

/** Whether every threshold held, and which did not (`metric: source`), for action outputs. */
export function verdict(summary: K6Summary): { passed: boolean; failed: string[] } {
  const failed = thresholdRows(summary)
    .filter((r) => !r.ok)
    .map((r) => `${r.metric}: ${r.source}`);
  return { passed: overview(summary).passed, failed };
}
