import type { MetricsFile } from './artifact';
import type { GateThresholds } from './model-config';

/** One checked score. */
export interface GateCheck {
  metric: 'accuracy' | 'macroF1';
  candidate: number;
  threshold: number;
  baseline?: number;
  /** candidate - baseline, when there is a baseline. */
  delta?: number;
  passed: boolean;
  reason?: string;
}

/** The verdict on one candidate model. */
export interface GateResult {
  name: string;
  version: string;
  baselineVersion?: string;
  passed: boolean;
  checks: GateCheck[];
}

const METRICS = [
  { metric: 'accuracy', label: 'accuracy', threshold: (t: GateThresholds) => t.minAccuracy },
  { metric: 'macroF1', label: 'macro-F1', threshold: (t: GateThresholds) => t.minMacroF1 },
] as const;

/**
 * Passes a candidate when each score meets its threshold and, given a baseline (the model on
 * main), does not fall more than `maxRegression` below it.
 */
export function evaluateGate(candidate: MetricsFile, thresholds: GateThresholds, baseline?: MetricsFile): GateResult {
  const checks = METRICS.map(({ metric, label, threshold }): GateCheck => {
    const value = candidate.scores[metric];
    const min = threshold(thresholds);
    const check: GateCheck = { metric, candidate: value, threshold: min, passed: true };
    const reasons: string[] = [];
    if (value < min) reasons.push(`${label} ${value.toFixed(4)} is below the threshold ${min}`);
    if (baseline) {
      check.baseline = baseline.scores[metric];
      check.delta = value - check.baseline;
      // A tiny epsilon so a score equal to baseline minus the tolerance, up to rounding, still passes.
      if (check.delta < -thresholds.maxRegression - 1e-12) {
        reasons.push(`${label} fell ${(-check.delta).toFixed(4)} below the baseline (tolerance ${thresholds.maxRegression})`);
      }
    }
    if (reasons.length > 0) {
      check.passed = false;
      check.reason = reasons.join('; ');
    }
    return check;
  });
  return {
    name: candidate.name,
    version: candidate.version,
    ...(baseline ? { baselineVersion: baseline.version } : {}),
    passed: checks.every((c) => c.passed),
    checks,
  };
}

const score = (v: number | undefined): string => (v === undefined ? '–' : v.toFixed(4));
const signed = (v: number | undefined): string => (v === undefined ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(4)}`);

/** A markdown table of gate results, for the terminal, the job summary and the PR comment. */
export function renderGateMarkdown(results: readonly GateResult[]): string {
  const passed = results.every((r) => r.passed);
  const lines = [
    `### Model gate: ${passed ? '✅ passed' : '❌ failed'}`,
    '',
    '| model | version | metric | candidate | baseline | Δ | threshold | result |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const c of r.checks) {
      lines.push(
        `| ${r.name} | ${r.version} | ${c.metric} | ${score(c.candidate)} | ${score(c.baseline)} | ${signed(c.delta)} | ≥ ${c.threshold} | ${c.passed ? 'pass' : `**fail**: ${c.reason ?? ''}`} |`,
      );
    }
  }
  const noBaseline = results.filter((r) => !r.baselineVersion).map((r) => r.name);
  if (noBaseline.length > 0) lines.push('', `No baseline for ${noBaseline.join(', ')}: thresholds only.`);
  return lines.join('\n') + '\n';
}
