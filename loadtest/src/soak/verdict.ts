/** What a soak run measured. */
export interface SoakMeasurement {
  requests: number;
  /** Requests whose status was not the expected one, or that got no answer. */
  failed: number;
  firstFailures: string[];
  /** RSS in bytes at the start and the end of the measured run (floors of its first and last quarter). */
  rssStart: number;
  rssEnd: number;
  /** Every RSS sample after the warm-up, in bytes. */
  rssSamples: number[];
  latencyMs: { p50: number; p99: number; max: number };
  /** Requests the schedule meant to send; fewer sent means the client could not keep the rate. */
  scheduled: number;
}

/** The pass/fail decision and its reasons, one line each. */
export interface SoakVerdict {
  passed: boolean;
  growth: number;
  reasons: string[];
}

/** Fails on any failed request and on RSS growth beyond `maxGrowth` after the warm-up. */
export function judgeSoak(m: SoakMeasurement, maxGrowth: number): SoakVerdict {
  const growth = m.rssStart > 0 ? (m.rssEnd - m.rssStart) / m.rssStart : Number.POSITIVE_INFINITY;
  const reasons: string[] = [];
  if (m.requests === 0) reasons.push('no request was sent');
  if (m.failed > 0)
    reasons.push(`${m.failed} of ${m.requests} requests failed (first: ${m.firstFailures.slice(0, 3).join('; ')})`);
  if (growth > maxGrowth)
    reasons.push(
      `RSS grew ${(growth * 100).toFixed(1)}% after warm-up (${mib(m.rssStart)} -> ${mib(m.rssEnd)}), more than ` +
        `${(maxGrowth * 100).toFixed(0)}%`,
    );
  return { passed: reasons.length === 0, growth, reasons };
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** The value at quantile `q` (0..1) of unsorted numbers. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The median of the last `n` samples: one sample taken mid-collection would make the end noisy. */
export function settledEnd(samples: number[], n = 3): number {
  return quantile(samples.slice(-n), 0.5);
}

/** The lowest sample of the first or last quarter (at least one sample) of `samples`. */
export function windowFloor(samples: number[], which: 'first' | 'last'): number {
  if (samples.length === 0) return 0;
  const size = Math.max(1, Math.ceil(samples.length / 4));
  const window = which === 'first' ? samples.slice(0, size) : samples.slice(-size);
  return Math.min(...window);
}
