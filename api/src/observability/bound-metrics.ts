import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request path, registered in a prom-client Registry and
 * exposed by it exactly as prom-client's own (same names, types, label order and values).
 *
 * prom-client rebuilds and hashes a label string on every `inc`/`observe`, even through a child
 * from `labels()`; with eight updates per prediction that was about a tenth of /predict's
 * throughput. Here `labels()` binds a label set once and returns a child that updates plain
 * numbers; the Registry formats them only when scraped.
 */
/** One exposed series, in the shape prom-client's Registry formats. */
interface SeriesValue {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName?: string;
}

abstract class BoundMetric<T extends string, C extends { labels: Record<T, string> }> {
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  protected readonly children = new Map<string, C>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly T[],
    registers: readonly Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The child for these label values, made once; keep it and update it directly. */
  labels(labels: Record<T, string>): C {
    const key = this.labelNames.map((name) => labels[name]).join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      // Only the declared labels, in declared order: that is how prom-client prints them.
      child = this.create(Object.fromEntries(this.labelNames.map((name) => [name, labels[name]])) as Record<T, string>);
      this.children.set(key, child);
    }
    return child;
  }

  /** Zeroes every child in place, so children held by callers keep counting. */
  abstract reset(): void;
  protected abstract create(labels: Record<T, string>): C;
  /** The values in prom-client's shape: `labels` of the series itself, `sharedLabels` of the child. */
  protected abstract values(): SeriesValue[];

  /** What Registry#metrics() reads. */
  getForPromString(): Promise<{ name: string; help: string; type: string; values: SeriesValue[]; aggregator: string }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.values(),
      aggregator: this.aggregator,
    });
  }

  /** What Registry#getMetricsAsJSON() reads: each value's labels merged, as prom-client does. */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;
    aggregator: string;
  }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({
        ...rest,
        labels: { ...sharedLabels, ...labels },
      })),
    };
  }
}

export interface CounterChild<T extends string> {
  labels: Record<T, string>;
  value: number;
  inc(by?: number): void;
}

export class BoundCounter<T extends string> extends BoundMetric<T, CounterChild<T>> {
  readonly type = 'counter';

  protected create(labels: Record<T, string>): CounterChild<T> {
    return {
      labels,
      value: 0,
      inc(by = 1) {
        this.value += by;
      },
    };
  }

  reset(): void {
    for (const child of this.children.values()) child.value = 0;
  }

  protected values(): SeriesValue[] {
    return [...this.children.values()].map((child) => ({ labels: {}, sharedLabels: child.labels, value: child.value }));
  }
}

export interface HistogramChild<T extends string> {
  labels: Record<T, string>;
  /** Observations per bucket (not cumulative), the last one past every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
  observe(value: number): void;
}

export class BoundHistogram<T extends string> extends BoundMetric<T, HistogramChild<T>> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    labelNames: readonly T[],
    private readonly buckets: readonly number[],
    registers: readonly Registry[],
  ) {
    super(name, help, labelNames, registers);
  }

  protected create(labels: Record<T, string>): HistogramChild<T> {
    const bounds = this.buckets;
    return {
      labels,
      counts: new Float64Array(bounds.length + 1),
      sum: 0,
      count: 0,
      observe(value: number) {
        // A value that is not a finite number has no bucket; skipping it keeps the sum a number.
        if (!Number.isFinite(value)) return;
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        this.counts[i]!++;
        this.sum += value;
        this.count++;
      },
    };
  }

  reset(): void {
    for (const child of this.children.values()) {
      child.counts.fill(0);
      child.sum = 0;
      child.count = 0;
    }
  }

  protected values(): SeriesValue[] {
    const bucket = `${this.name}_bucket`;
    return [...this.children.values()].flatMap((child) => {
      let cumulative = 0;
      const series = this.buckets.map((le, i): SeriesValue => {
        cumulative += child.counts[i]!;
        return { labels: { le }, sharedLabels: child.labels, value: cumulative, metricName: bucket };
      });
      const rest: SeriesValue[] = [
        { labels: { le: '+Inf' }, sharedLabels: child.labels, value: child.count, metricName: bucket },
        { labels: {}, sharedLabels: child.labels, value: child.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: child.labels, value: child.count, metricName: `${this.name}_count` },
      ];
      return [...series, ...rest];
    });
  }
}
