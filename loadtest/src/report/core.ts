import type { K6Metric, K6Summary } from './types';

/**
 * The reading of a k6 summary that every renderer shares (threshold rows with their observed
 * values, headline numbers, formatting) and the plain-text console summary.
 *
 * k6 imports this file as is from `handleSummary` (k6 transpiles each `.ts` file on its own and
 * has no bundler), so it must stay a leaf: only type imports, no Node or browser APIs, no `Intl`
 * (k6's JavaScript runtime has none).
 */

/** Trend statistics in the end-of-test summary: k6's default plus p(99) and count. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'];

/** A threshold expression split up: `p(95)<500` is `{ aggregation: 'p(95)', operator: '<', value: 500 }`. */
export interface ParsedThreshold {
  aggregation: string;
  operator: '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';
  value: number;
}

const THRESHOLD =
  /^\s*(avg|min|max|med|count|rate|value|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i;

/** Parses a k6 threshold expression; undefined when it is not one k6 would accept. */
export function parseThreshold(source: string): ParsedThreshold | undefined {
  const match = THRESHOLD.exec(source);
  if (!match) return undefined;
  return {
    aggregation: match[1]!.replace(/\s+/g, '').toLowerCase(),
    operator: match[2] as ParsedThreshold['operator'],
    value: Number(match[3]),
  };
}

/** Splits `http_req_duration{kind:infer,status:200}` into the metric name and its tag filter. */
export function parseMetricKey(key: string): { name: string; tags: Record<string, string> } {
  const open = key.indexOf('{');
  if (open < 0 || !key.endsWith('}')) return { name: key.trim(), tags: {} };
  const tags: Record<string, string> = {};
  for (const pair of key.slice(open + 1, -1).split(',')) {
    const colon = pair.indexOf(':');
    if (colon > 0) tags[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim();
  }
  return { name: key.slice(0, open).trim(), tags };
}

/** Compares an observed value to a parsed threshold as k6 does. */
export function holds(observed: number, threshold: ParsedThreshold): boolean {
  switch (threshold.operator) {
    case '<':
      return observed < threshold.value;
    case '<=':
      return observed <= threshold.value;
    case '>':
      return observed > threshold.value;
    case '>=':
      return observed >= threshold.value;
    case '==':
    case '===':
      return observed === threshold.value;
    case '!=':
      return observed !== threshold.value;
  }
}

/** The value an aggregation reads from a summary metric, when the summary holds it. */
export function observedValue(metric: K6Metric, aggregation: string): number | undefined {
  const values = metric.values as Record<string, number>;
  const direct = values[aggregation];
  if (typeof direct === 'number') return direct;
  if (metric.type === 'rate' && aggregation === 'rate') return metric.values.rate;
  return undefined;
}

// ---- formatting (no Intl in k6) -------------------------------------------------------------

/** Groups thousands with commas: 1234567 → `1,234,567`. */
export function formatCount(value: number): string {
  const [whole, fraction] = (Math.round(value * 100) / 100).toString().split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction ? `${grouped}.${fraction}` : grouped;
}

/** A duration in milliseconds as k6 prints it: `850µs`, `12.34ms`, `1.52s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.abs(ms) < 1) return `${(ms * 1000).toFixed(0)}µs`;
  if (Math.abs(ms) < 1000) return `${ms.toFixed(2)}ms`;
  if (Math.abs(ms) < 60000) return `${(ms / 1000).toFixed(2)}s`;
  const minutes = Math.floor(ms / 60000);
  return `${minutes}m${((ms - minutes * 60000) / 1000).toFixed(1)}s`;
}

/** Bytes with a binary-ish unit: `912 B`, `1.8 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** A rate as a percentage: 0.0033 → `0.33%`. */
export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

/** A value of `metric` under `aggregation`, in the metric's unit. */
export function formatMetricValue(metric: K6Metric, aggregation: string, value: number): string {
  if (metric.type === 'rate' && aggregation === 'rate') return formatPercent(value);
  if (aggregation === 'count' || (metric.type === 'counter' && aggregation !== 'rate')) {
    return metric.contains === 'data' ? formatBytes(value) : formatCount(value);
  }
  if (metric.type === 'counter' && aggregation === 'rate')
    return metric.contains === 'data' ? `${formatBytes(value)}/s` : `${formatCount(value)}/s`;
  if (metric.contains === 'time') return formatMs(value);
  if (metric.contains === 'data') return formatBytes(value);
  return formatCount(value);
}

// ---- the reading every report shares ---------------------------------------------------------

/** One threshold with its verdict and, when the summary holds it, the value it was judged on. */
export interface ThresholdRow {
  metric: string;
  source: string;
  ok: boolean;
  observed?: number;
  observedText: string;
}

/** Every threshold of the summary, metric by metric in name order, expressions in their order. */
export function thresholdRows(summary: K6Summary): ThresholdRow[] {
  const rows: ThresholdRow[] = [];
  for (const key of Object.keys(summary.metrics).sort()) {
    const metric = summary.metrics[key]!;
    for (const [source, verdict] of Object.entries(metric.thresholds ?? {})) {
      const parsed = parseThreshold(source);
      const observed = parsed ? observedValue(metric, parsed.aggregation) : undefined;
      rows.push({
        metric: key,
        source,
        ok: verdict.ok,
        ...(observed === undefined ? {} : { observed }),
        observedText:
          observed === undefined || !parsed ? 'n/a' : formatMetricValue(metric, parsed.aggregation, observed),
      });
    }
  }
  return rows;
}

/** The headline numbers of a run. */
export interface Overview {
  passed: boolean;
  thresholds: number;
  thresholdsFailed: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  failedRate: number;
  failedRequests: number;
  checksRate: number | undefined;
  checksPassed: number;
  checksFailed: number;
  maxVus: number | undefined;
}

function metricValues(summary: K6Summary, name: string): Record<string, number> | undefined {
  return summary.metrics[name]?.values;
}

/** Headline numbers; a run passes when every threshold holds (no thresholds at all also passes). */
export function overview(summary: K6Summary): Overview {
  const rows = thresholdRows(summary);
  const failedCount = rows.filter((r) => !r.ok).length;
  const reqs = metricValues(summary, 'http_reqs');
  const failed = metricValues(summary, 'http_req_failed');
  const checks = metricValues(summary, 'checks');
  const vusMax = metricValues(summary, 'vus_max') ?? metricValues(summary, 'vus');
  return {
    passed: failedCount === 0,
    thresholds: rows.length,
    thresholdsFailed: failedCount,
    durationSeconds: summary.state.testRunDurationMs / 1000,
    requests: reqs?.count ?? 0,
    requestsPerSecond: reqs?.rate ?? 0,
    failedRate: failed?.rate ?? 0,
    failedRequests: failed?.passes ?? 0,
    checksRate: checks?.rate,
    checksPassed: checks?.passes ?? 0,
    checksFailed: checks?.fails ?? 0,
    maxVus: vusMax?.max,
  };
}

/** Trend statistics in display order: those the summary has, k6's order first. */
export function trendStats(values: Record<string, number>): Array<[string, number]> {
  const order = ['min', 'avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'max'];
  const known = order
    .filter((stat) => typeof values[stat] === 'number')
    .map((stat) => [stat, values[stat]!] as [string, number]);
  const others = Object.keys(values)
    .filter((stat) => !order.includes(stat) && stat !== 'count')
    .map((stat) => [stat, values[stat]!] as [string, number]);
  return [...known, ...others];
}

/** Sub-metric counts of `metric` by one tag, e.g. predictions by `class`: `[['setosa', 120], …]`. */
export function countsByTag(summary: K6Summary, metric: string, tag: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [key, value] of Object.entries(summary.metrics)) {
    const parsed = parseMetricKey(key);
    const tagNames = Object.keys(parsed.tags);
    if (parsed.name === metric && tagNames.length === 1 && tagNames[0] === tag && value.type === 'counter')
      out.push([parsed.tags[tag]!, value.values.count]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Latency trends per value of one tag (`http_req_duration{kind:…}`), when the summary has them. */
export function trendsByTag(summary: K6Summary, metric: string, tag: string): Array<[string, Record<string, number>]> {
  const out: Array<[string, Record<string, number>]> = [];
  for (const [key, value] of Object.entries(summary.metrics)) {
    const parsed = parseMetricKey(key);
    const tagNames = Object.keys(parsed.tags);
    if (parsed.name === metric && tagNames.length === 1 && tagNames[0] === tag && value.type === 'trend')
      out.push([parsed.tags[tag]!, value.values]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Every check in the group tree, depth first. */
export function allChecks(summary: K6Summary): Array<{ name: string; passes: number; fails: number }> {
  const out: Array<{ name: string; passes: number; fails: number }> = [];
  const walk = (group: K6Summary['root_group']): void => {
    for (const check of group.checks)
      out.push({
        name: group.path ? `${group.name} › ${check.name}` : check.name,
        passes: check.passes,
        fails: check.fails,
      });
    for (const child of group.groups) walk(child);
  };
  walk(summary.root_group);
  return out;
}

// ---- the console summary -----------------------------------------------------------------------

/** Options of {@link textSummary}. */
export interface TextSummaryOptions {
  /** Title line, e.g. `mlship load test: smoke`. */
  title?: string;
  /** ANSI colours for the verdicts. Default: the summary's `!options.noColor && state.isStdOutTTY`. */
  enableColors?: boolean;
  /** Prefix of every line. Default two spaces. */
  indent?: string;
}

function metricLine(metric: K6Metric, statOrder: string[]): string {
  switch (metric.type) {
    case 'trend': {
      // k6 prints trend stats in summaryTrendStats order, whatever order the object has.
      const known = statOrder.filter((stat) => stat in metric.values);
      const stats = [...known, ...Object.keys(metric.values).filter((stat) => !known.includes(stat))];
      return stats.map((stat) => `${stat}=${formatMetricValue(metric, stat, metric.values[stat]!)}`).join(' ');
    }
    case 'rate':
      return (
        `${formatPercent(metric.values.rate)} ${formatCount(metric.values.passes)} out of ` +
        `${formatCount(metric.values.passes + metric.values.fails)}`
      );
    case 'counter':
      return (
        `${formatMetricValue(metric, 'count', metric.values.count)} ` +
        `${formatMetricValue(metric, 'rate', metric.values.rate)}`
      );
    case 'gauge':
      return (
        `${formatCount(metric.values.value)} min=${formatCount(metric.values.min)} max=` +
        `${formatCount(metric.values.max)}`
      );
  }
}

/**
 * The end-of-test console summary (k6's default text is lost once `handleSummary` is defined):
 * verdict, thresholds with observed values, checks, then every metric in name order.
 */
export function textSummary(summary: K6Summary, options: TextSummaryOptions = {}): string {
  const indent = options.indent ?? '  ';
  const colors = options.enableColors ?? (!summary.options.noColor && summary.state.isStdOutTTY);
  const paint = (code: number, text: string): string => (colors ? `\u001b[${code}m${text}\u001b[0m` : text);
  const mark = (ok: boolean): string => (ok ? paint(32, '✓') : paint(31, '✗'));
  const head = overview(summary);
  const lines: string[] = [''];
  const verdict = head.passed ? paint(32, 'PASSED') : paint(31, 'FAILED');
  lines.push(
    `${indent}${options.title ?? 'k6 summary'}: ${verdict} (${head.thresholds - head.thresholdsFailed}/` +
      `${head.thresholds} thresholds hold) in ${formatMs(summary.state.testRunDurationMs)}`,
  );

  const rows = thresholdRows(summary);
  if (rows.length > 0) {
    lines.push('', `${indent}THRESHOLDS`);
    const width = Math.max(...rows.map((r) => r.metric.length));
    for (const row of rows)
      lines.push(
        `${indent}  ${mark(row.ok)} ${row.metric.padEnd(width)}  ${row.source.padEnd(14)} ${row.observedText}`,
      );
  }
  const checks = allChecks(summary);
  if (checks.length > 0) {
    lines.push('', `${indent}CHECKS`);
    for (const check of checks) {
      const total = check.passes + check.fails;
      lines.push(
        `${indent}  ${mark(check.fails === 0)} ${check.name}` +
          `${check.fails === 0 ? '' : `  (${formatCount(check.fails)} of ${formatCount(total)} failed)`}`,
      );
    }
  }
  lines.push('', `${indent}METRICS`);
  const names = Object.keys(summary.metrics).sort();
  const width = Math.max(30, ...names.map((n) => n.length + 2));
  for (const name of names)
    lines.push(
      `${indent}  ${`${name}`.padEnd(width, '.')}: ` +
        `${metricLine(summary.metrics[name]!, summary.options.summaryTrendStats ?? [])}`,
    );
  lines.push('');
  return lines.join('\n');
}
