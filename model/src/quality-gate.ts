import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsFile } from './registry-files';
import { currentVersion, latestVersion, readMetrics, versionDir } from './registry-files';
import { InputError } from './errors';
import type { GateThresholds } from './model-config';
import { loadGateConfigs } from './model-config';

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
        reasons.push(
          `${label} fell ${(-check.delta).toFixed(4)} below the baseline (tolerance ${thresholds.maxRegression})`,
        );
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
        `| ${r.name} | ${r.version} | ${c.metric} | ${score(c.candidate)} | ${score(c.baseline)} | ` +
          `${signed(c.delta)} | ≥ ${c.threshold} | ${c.passed ? 'pass' : `**fail**: ${c.reason ?? ''}`} |`,
      );
    }
  }
  const noBaseline = results.filter((r) => !r.baselineVersion).map((r) => r.name);
  if (noBaseline.length > 0) lines.push('', `No baseline for ${noBaseline.join(', ')}: thresholds only.`);
  return lines.join('\n') + '\n';
}

/** What to gate, as `npm run gate` and the model-gate action both take it. */
export interface GateRequest {
  modelsFile: string;
  modelDir: string;
  /** Models to gate from `modelDir`; empty means every configured model. */
  models: readonly string[];
  /** A metrics.json to gate instead of looking one up in `modelDir`. */
  candidate?: string;
  /** One baseline metrics.json (one candidate only). */
  baseline?: string;
  /** A baseline registry (the model on main): each candidate meets its own promoted model. */
  baselineDir?: string;
  overrides: Partial<GateThresholds>;
  /** How the caller spells its options in errors: '--' for the CLI, '' for action inputs. */
  optionPrefix: string;
}

/** The metrics to gate for `name`: the last trained version, else the promoted one. */
function candidateMetrics(modelDir: string, name: string): MetricsFile {
  const version = latestVersion(modelDir, name) ?? currentVersion(modelDir, name);
  if (!version) throw new InputError(`no trained version of ${name} in ${modelDir}: run \`npm run train\` first`);
  return readMetrics(join(versionDir(modelDir, name, version), 'metrics.json'));
}

/** The baseline registry's promoted (else latest) metrics for `name`; none for a new model. */
function baselineMetrics(dir: string, name: string): MetricsFile | undefined {
  const version = currentVersion(dir, name) ?? latestVersion(dir, name);
  return version ? readMetrics(join(versionDir(dir, name, version), 'metrics.json')) : undefined;
}

/** Evaluates every candidate with its thresholds (configured, then overridden) and its baseline. */
export function gateCandidates(request: GateRequest): GateResult[] {
  const option = (name: string): string => `${request.optionPrefix}${name}`;
  if (request.baselineDir && !existsSync(request.baselineDir))
    throw new InputError(`${option('baseline-dir')} ${request.baselineDir} does not exist`);
  const configs = loadGateConfigs(request.modelsFile);
  const candidates = request.candidate
    ? [readMetrics(request.candidate)]
    : (request.models.length > 0 ? request.models : Object.keys(configs)).map((name) =>
        candidateMetrics(request.modelDir, name),
      );
  if (request.baseline && candidates.length !== 1) {
    throw new InputError(
      `${option('baseline')} compares one model: name one model or ${option('candidate')}, or use ` +
        `${option('baseline-dir')}`,
    );
  }
  const singleBaseline = request.baseline ? readMetrics(request.baseline) : undefined;
  return candidates.map((candidate) => {
    const configured = configs[candidate.name]?.gate;
    const minAccuracy = request.overrides.minAccuracy ?? configured?.minAccuracy;
    const minMacroF1 = request.overrides.minMacroF1 ?? configured?.minMacroF1;
    if (minAccuracy === undefined || minMacroF1 === undefined) {
      throw new InputError(
        `${candidate.name} has no gate in ${request.modelsFile}: set ${option('min-accuracy')} and ` +
          `${option('min-macro-f1')}`,
      );
    }
    const thresholds = {
      minAccuracy,
      minMacroF1,
      maxRegression: request.overrides.maxRegression ?? configured?.maxRegression ?? 0,
    };
    const baseline =
      singleBaseline ?? (request.baselineDir ? baselineMetrics(request.baselineDir, candidate.name) : undefined);
    return evaluateGate(candidate, thresholds, baseline);
  });
}
