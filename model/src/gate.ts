import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricsFile } from './artifact';
import { readMetrics, versionDir } from './artifact';
import { numberFlag, parseFlags, runCli } from './cli';
import { InputError } from './errors';
import { DEFAULT_MODELS_FILE, loadModelConfigs } from './model-config';
import type { GateResult } from './quality-gate';
import { evaluateGate, renderGateMarkdown } from './quality-gate';
import { currentVersion, DEFAULT_MODEL_DIR, latestVersion } from './registry';

const USAGE =
  'npm run gate -- [--model NAME ...] [--candidate metrics.json] [--baseline metrics.json | --baseline-dir DIR] [--min-accuracy X] [--min-macro-f1 X] [--tolerance X] [--model-dir DIR] [--out gate.md] [--json]';

/** The metrics to gate for `name`: the last trained version, else the promoted one. */
function candidateMetrics(modelDir: string, name: string): MetricsFile {
  const version = latestVersion(modelDir, name) ?? currentVersion(modelDir, name);
  if (!version) throw new InputError(`no trained version of ${name} in ${modelDir}: run \`npm run train\` first`);
  return readMetrics(join(versionDir(modelDir, name, version), 'metrics.json'));
}

/** The baseline registry's promoted metrics for `name`, when it has any. */
function baselineFromDir(dir: string, name: string): MetricsFile | undefined {
  if (!existsSync(dir)) throw new InputError(`--baseline-dir ${dir} does not exist`);
  const version = currentVersion(dir, name) ?? latestVersion(dir, name);
  return version ? readMetrics(join(versionDir(dir, name, version), 'metrics.json')) : undefined;
}

function main(): number {
  const { values, positionals } = parseFlags(
    {
      model: { type: 'string', multiple: true },
      models: { type: 'string', default: DEFAULT_MODELS_FILE },
      'model-dir': { type: 'string', default: process.env.MODEL_DIR || DEFAULT_MODEL_DIR },
      candidate: { type: 'string' },
      baseline: { type: 'string' },
      'baseline-dir': { type: 'string' },
      'min-accuracy': { type: 'string' },
      'min-macro-f1': { type: 'string' },
      tolerance: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new InputError(`unexpected argument "${positionals[0]}"; usage: ${USAGE}`);
  if (values.baseline && values['baseline-dir']) throw new InputError('give --baseline or --baseline-dir, not both');
  const overrides = {
    minAccuracy: numberFlag('min-accuracy', values['min-accuracy'], 0, 1),
    minMacroF1: numberFlag('min-macro-f1', values['min-macro-f1'], 0, 1),
    maxRegression: numberFlag('tolerance', values.tolerance, 0, 1),
  };
  const configs = loadModelConfigs(values.models);
  const modelDir = values['model-dir'];

  let candidates: MetricsFile[];
  if (values.candidate) {
    candidates = [readMetrics(values.candidate)];
  } else {
    const names = values.model ?? Object.keys(configs);
    candidates = names.map((name) => candidateMetrics(modelDir, name));
  }
  if (values.baseline && candidates.length !== 1) throw new InputError('--baseline compares one model: add --model NAME or --candidate, or use --baseline-dir');
  const singleBaseline = values.baseline ? readMetrics(values.baseline) : undefined;

  const results: GateResult[] = candidates.map((candidate) => {
    const configured = configs[candidate.name]?.gate;
    const thresholds = {
      minAccuracy: overrides.minAccuracy ?? configured?.minAccuracy,
      minMacroF1: overrides.minMacroF1 ?? configured?.minMacroF1,
      maxRegression: overrides.maxRegression ?? configured?.maxRegression ?? 0,
    };
    if (thresholds.minAccuracy === undefined || thresholds.minMacroF1 === undefined) {
      throw new InputError(`${candidate.name} has no gate in ${values.models}: pass --min-accuracy and --min-macro-f1`);
    }
    const baseline = singleBaseline ?? (values['baseline-dir'] ? baselineFromDir(values['baseline-dir'], candidate.name) : undefined);
    return evaluateGate(candidate, thresholds as { minAccuracy: number; minMacroF1: number; maxRegression: number }, baseline);
  });

  const markdown = renderGateMarkdown(results);
  if (values.out) writeFileSync(values.out, markdown);
  console.log(values.json ? JSON.stringify({ passed: results.every((r) => r.passed), results }) : markdown);
  return results.every((r) => r.passed) ? 0 : 1;
}

runCli(main);
