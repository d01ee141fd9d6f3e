import { createHash } from 'node:crypto';
import { holds, parseMetricKey, parseThreshold, SUMMARY_TREND_STATS } from '../report/core';
import { percentile } from '../report/timeline';
import { METRIC_TYPES } from '../scenario/load';
import type { K6Check, K6Metric, K6Summary } from '../report/types';

type MetricType = K6Metric['type'];
type Tags = Record<string, string>;

interface Series {
  type: MetricType;
  contains: 'default' | 'time' | 'data';
  values: number[];
  tags: Tags[];
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/**
 * Collects samples the way k6's metric engine does (name, value, tags) and turns them into the
 * end-of-test summary k6 hands to `handleSummary`: the same metric names, types, units (ms),
 * trend stats, tagged sub-metrics for thresholds, and threshold verdicts.
 */
export class SummaryCollector {
  private readonly series = new Map<string, Series>();
  private readonly checks = new Map<string, { passes: number; fails: number }>();
  private readonly tagCache = new Map<string, Tags>();

  /** Interns tag sets: a run sends a handful of distinct ones, millions of times. */
  tags(tags: Tags): Tags {
    const key = JSON.stringify(tags);
    let cached = this.tagCache.get(key);
    if (!cached) {
      cached = Object.freeze({ ...tags });
      this.tagCache.set(key, cached);
    }
    return cached;
  }

  add(name: string, type: MetricType, value: number, tags: Tags = {}, contains: Series['contains'] = 'default'): void {
    let series = this.series.get(name);
    if (!series) {
      series = { type, contains, values: [], tags: [] };
      this.series.set(name, series);
    }
    series.values.push(value);
    series.tags.push(this.tags(tags));
  }

  /** A check result: counted per name (root group) and as a sample of the `checks` rate. */
  check(name: string, ok: boolean, tags: Tags = {}): void {
    let counts = this.checks.get(name);
    if (!counts) {
      counts = { passes: 0, fails: 0 };
      this.checks.set(name, counts);
    }
    if (ok) counts.passes++;
    else counts.fails++;
    this.add('checks', 'rate', ok ? 1 : 0, { ...tags, check: name });
  }

  /** Distinct values of `tag` seen on `metric`. */
  tagValues(metric: string, tag: string): string[] {
    const values = new Set<string>();
    for (const tags of this.series.get(metric)?.tags ?? []) if (tags[tag] !== undefined) values.add(tags[tag]);
    return [...values].sort();
  }

  private select(series: Series, filter: Tags): number[] {
    const keys = Object.keys(filter);
    if (keys.length === 0) return series.values;
    const out: number[] = [];
    series.tags.forEach((tags, i) => {
      if (keys.every((k) => tags[k] === filter[k])) out.push(series.values[i]!);
    });
    return out;
  }

  /** One aggregation over samples, as k6 computes it (percentiles by linear interpolation). */
  private static aggregate(
    type: MetricType,
    values: number[],
    sorted: () => number[],
    aggregation: string,
    seconds: number,
  ): number {
    const sum = (): number => values.reduce((a, b) => a + b, 0);
    if (type === 'rate') return values.length ? values.filter((v) => v !== 0).length / values.length : 0;
    if (type === 'counter') return aggregation === 'rate' ? (seconds > 0 ? sum() / seconds : 0) : sum();
    if (type === 'gauge') {
      if (values.length === 0) return 0;
      if (aggregation === 'value') return values[values.length - 1]!;
      return aggregation === 'min' ? sorted()[0]! : sorted()[values.length - 1]!;
    }
    if (values.length === 0) return 0;
    switch (aggregation) {
      case 'avg':
        return sum() / values.length;
      case 'min':
        return sorted()[0]!;
      case 'max':
        return sorted()[values.length - 1]!;
      case 'med':
        return percentile(sorted(), 0.5);
      case 'count':
        return values.length;
      default: {
        const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(aggregation);
        return p ? percentile(sorted(), Number(p[1]) / 100) : NaN;
      }
    }
  }

  private metric(series: Series, filter: Tags, seconds: number, thresholds: string[] | undefined): K6Metric {
    const values = this.select(series, filter);
    let cache: number[] | undefined;
    const sorted = (): number[] => (cache ??= [...values].sort((a, b) => a - b));
    const agg = (aggregation: string): number =>
      SummaryCollector.aggregate(series.type, values, sorted, aggregation, seconds);
    let metric: K6Metric;
    switch (series.type) {
      case 'trend':
        metric = {
          type: 'trend',
          contains: series.contains,
          values: Object.fromEntries(SUMMARY_TREND_STATS.map((stat) => [stat, agg(stat)])),
        };
        break;
      case 'rate': {
        const passes = values.filter((v) => v !== 0).length;
        metric = {
          type: 'rate',
          contains: 'default',
          values: { rate: agg('rate'), passes, fails: values.length - passes },
        };
        break;
      }
      case 'counter':
        metric = {
          type: 'counter',
          contains: series.contains === 'time' ? 'default' : series.contains,
          values: { count: agg('count'), rate: agg('rate') },
        };
        break;
      case 'gauge':
        metric = {
          type: 'gauge',
          contains: 'default',
          values: { value: agg('value'), min: agg('min'), max: agg('max') },
        };
        break;
    }
    if (thresholds?.length) {
      metric.thresholds = {};
      for (const source of thresholds) {
        const parsed = parseThreshold(source);
        metric.thresholds[source] = { ok: parsed !== undefined && holds(agg(parsed.aggregation), parsed) };
      }
    }
    return metric;
  }

  /**
   * The summary for a run of `durationMs`. `thresholds` are the scenario's (k6 syntax); their
   * tagged keys become sub-metrics, and so do `extraSubMetrics` (e.g. latency per request kind).
   */
  summary(durationMs: number, thresholds: Record<string, string[]>, extraSubMetrics: string[] = []): K6Summary {
    const seconds = durationMs / 1000;
    const metrics: Record<string, K6Metric> = {};
    const empty = (name: string): Series => {
      const type = METRIC_TYPES[name] ?? 'counter';
      return { type, contains: type === 'trend' ? 'time' : 'default', values: [], tags: [] };
    };
    for (const [name, series] of [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
      metrics[name] = this.metric(series, {}, seconds, thresholds[name]);
    const keys = new Set([...Object.keys(thresholds), ...extraSubMetrics]);
    for (const key of keys) {
      const { name, tags } = parseMetricKey(key);
      if (Object.keys(tags).length === 0) {
        // A threshold on a metric that got no samples still gets a verdict, as in k6.
        if (!metrics[name] && thresholds[key]) metrics[name] = this.metric(empty(name), {}, seconds, thresholds[key]);
        continue;
      }
      const series = this.series.get(name) ?? empty(name);
      metrics[key] = this.metric(series, tags, seconds, thresholds[key]);
    }
    const checks: K6Check[] = [...this.checks.entries()].map(([name, counts]) => ({
      name,
      path: `::${name}`,
      id: md5(`::${name}`),
      ...counts,
    }));
    return {
      root_group: { name: '', path: '', id: md5(''), groups: [], checks },
      options: { summaryTrendStats: SUMMARY_TREND_STATS, summaryTimeUnit: '', noColor: false },
      state: {
        isStdOutTTY: Boolean(process.stdout.isTTY),
        isStdErrTTY: Boolean(process.stderr.isTTY),
        testRunDurationMs: durationMs,
      },
      metrics,
    };
  }
}
