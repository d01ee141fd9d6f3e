/**
 * The figures an A/B run compares, and the arithmetic on them: each build's values over the
 * rounds, their medians and new / old as a percentage, with a verdict against a tolerance.
 * Pure functions, so the table is tested without running a benchmark.
 */

/** Which of the two benchmarks' JSON lines a figure is read from. */
export type Bench = 'api' | 'model';

export interface Figure {
  bench: Bench;
  /** The key in that benchmark's `--json` line. */
  key: string;
  label: string;
  better: 'higher' | 'lower';
}

export const FIGURES: readonly Figure[] = [
  { bench: 'api', key: 'ratio', label: 'API / bare req/s', better: 'higher' },
  { bench: 'api', key: 'apiRps', label: 'API req/s', better: 'higher' },
  { bench: 'api', key: 'cpuMicrosPerRequest', label: 'API CPU µs per request', better: 'lower' },
  // Not the build's: the machine's. When it moves as much as the API's, so does the noise.
  { bench: 'api', key: 'bareCpuMicrosPerRequest', label: 'bare server CPU µs per request', better: 'lower' },
  { bench: 'api', key: 'batchRowsPerSecond', label: 'batch rows/s through HTTP', better: 'higher' },
  { bench: 'api', key: 'batchCpuMicrosPerRequest', label: 'CPU µs per batch', better: 'lower' },
  { bench: 'api', key: 'startToReadyMs', label: 'start to ready ms', better: 'lower' },
  { bench: 'api', key: 'rssMb', label: 'peak RSS MB', better: 'lower' },
  { bench: 'api', key: 'rssAnonMb', label: 'peak anonymous RSS MB', better: 'lower' },
  { bench: 'model', key: 'kernelUsPerSample', label: 'kernel µs/sample (standardized rows)', better: 'lower' },
  { bench: 'model', key: 'predictUsPerSample', label: 'predict µs/sample (standardizing included)', better: 'lower' },
  { bench: 'model', key: 'batchPredictionsPerSecond', label: 'model batch rows/s', better: 'higher' },
  { bench: 'model', key: 'farBatchPredictionsPerSecond', label: 'model rows/s, far-from-data batch', better: 'higher' },
];

/** One round of one build: the JSON lines bench:api and bench:model printed. */
export type RoundResult = Record<Bench, Record<string, unknown>>;

/** The median of the finite numbers in `values` (the mean of the middle two for an even count), or NaN if none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A figure's value in one round, NaN when that build's benchmark does not print it. */
export function valueOf(round: RoundResult, figure: Figure): number {
  const value = round[figure.bench][figure.key];
  return typeof value === 'number' ? value : NaN;
}

export type Verdict = 'within' | 'better' | 'worse' | 'not compared';

export interface Comparison {
  figure: Figure;
  old: number[];
  new: number[];
  oldMedian: number;
  newMedian: number;
  /** New median as a percentage of the old one (100 = unchanged); NaN when either is missing or old is 0. */
  percent: number;
  verdict: Verdict;
}

/** Whether new is more than `tolerancePercent` better or worse than old, given which way is better. */
export function verdictOf(percent: number, better: Figure['better'], tolerancePercent: number): Verdict {
  if (!Number.isFinite(percent)) return 'not compared';
  const change = better === 'higher' ? percent - 100 : 100 - percent;
  if (change < -tolerancePercent) return 'worse';
  if (change > tolerancePercent) return 'better';
  return 'within';
}

/** Every figure: both builds' values round by round, the medians, new / old and the verdict. */
export function compare(
  oldRounds: readonly RoundResult[],
  newRounds: readonly RoundResult[],
  tolerancePercent: number,
  figures = FIGURES,
): Comparison[] {
  return figures.map((figure) => {
    const old = oldRounds.map((round) => valueOf(round, figure));
    const now = newRounds.map((round) => valueOf(round, figure));
    const oldMedian = median(old);
    const newMedian = median(now);
    const percent = oldMedian === 0 ? NaN : (newMedian / oldMedian) * 100;
    return {
      figure,
      old,
      new: now,
      oldMedian,
      newMedian,
      percent,
      verdict: verdictOf(percent, figure.better, tolerancePercent),
    };
  });
}

/** A number as the table shows it: up to 3 decimals below 10, 1 below 1,000, none above; '-' for missing. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const digits = Math.abs(n) < 10 ? 3 : Math.abs(n) < 1000 ? 1 : 0;
  return Number(n.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** The comparison as a markdown table: one row per figure, every round's value, the medians and new / old. */
export function comparisonTable(
  comparisons: readonly Comparison[],
  oldName: string,
  newName: string,
  tolerancePercent: number,
): string {
  const header =
    `| figure | better | ${oldName}: each round | ${newName}: each round | ${oldName} median | ` +
    `${newName} median | new / old | ±${tolerancePercent}% |`;
  const rows = comparisons.map((c) => {
    const percent = Number.isFinite(c.percent) ? `${c.percent.toFixed(1)}%` : '-';
    const cells = [
      c.figure.label,
      c.figure.better,
      c.old.map(formatNumber).join(', '),
      c.new.map(formatNumber).join(', '),
      formatNumber(c.oldMedian),
      formatNumber(c.newMedian),
      percent,
      c.verdict,
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [header, `|${'---|'.repeat(8)}`, ...rows].join('\n');
}
