import { join } from 'node:path';
import type { ModelArtifact } from './artifact';
import { algorithmOf, metricsOf, writeArtifact } from './artifact';
import { readMetrics, versionDir } from './registry-files';
import { parseFlags, runCli } from './cli';
import { InputError } from './errors';
import { renderModelCard } from './model-card';
import type { GateThresholds } from './model-config';
import { DEFAULT_MODELS_FILE } from './model-config';
import { loadModelConfigs } from './algorithms/configs';
import { evaluateGate, renderGateMarkdown } from './quality-gate';
import { currentVersion, DEFAULT_MODEL_DIR, markLatest, promote, sweepStaging } from './registry';
import { trainModel } from './training';
import { loadTrainingData } from './training-data';

/**
 * The exit code of `--promote` when a gate refused a model: a verdict, not a crash (1) or bad input
 * (2). Retrying gives the same answer, so the retraining Job's podFailurePolicy fails at once on it.
 */
const GATE_REFUSED_EXIT = 3;

const USAGE =
  'npm run train -- [--model NAME ...] [--models model/models.json] [--data file.csv --label column] [--model-dir ' +
  'DIR] [--promote] [--if-missing] [--json]';

/**
 * Promotes a freshly written version when it passes its gate against the promoted one (if any);
 * otherwise prints the gate table to stderr and leaves `current` as it was.
 */
function promoteIfGated(modelDir: string, artifact: ModelArtifact, thresholds: GateThresholds): boolean {
  const current = currentVersion(modelDir, artifact.name);
  const baseline =
    current && current !== artifact.version
      ? readMetrics(join(versionDir(modelDir, artifact.name, current), 'metrics.json'))
      : undefined;
  const verdict = evaluateGate(metricsOf(artifact), thresholds, baseline);
  if (!verdict.passed) {
    console.error(renderGateMarkdown([verdict]));
    return false;
  }
  promote(modelDir, artifact.name, artifact.version);
  return true;
}

/** One trained model as the summary shows it: `--json` prints `row`, the text line adds `brief`. */
interface TrainedSummary {
  row: {
    name: string;
    version: string;
    dataset: string;
    dataSha256: string;
    algorithm: string;
    accuracy: number;
    macroF1: number;
    dir: string;
    promoted: boolean;
  } & Record<string, string | number | boolean>;
  /** The algorithm's hyperparameters in a few words. */
  brief: string;
}

function summarize(artifact: ModelArtifact, dir: string, promoted: boolean): TrainedSummary {
  const algorithm = algorithmOf(artifact);
  const { fields, brief } = algorithm.describe(artifact.hyperparameters, artifact.scores, artifact.software);
  const { name, version, dataset, scores } = artifact;
  return {
    row: {
      name,
      version,
      dataset: dataset.source,
      dataSha256: dataset.sha256,
      algorithm: algorithm.name,
      ...fields,
      accuracy: scores.accuracy,
      macroF1: scores.macroF1,
      dir,
      promoted,
    },
    brief,
  };
}

function printSummary(summary: TrainedSummary[], json: boolean, promoting: boolean): void {
  if (json) {
    console.log(JSON.stringify({ models: summary.map((m) => m.row) }));
    return;
  }
  for (const { row: m, brief } of summary) {
    const outcome = m.promoted ? '  (promoted)' : promoting ? '  (NOT promoted: gate failed)' : '';
    console.log(
      `${m.name} ${m.version}  ${m.dataset}  ${brief}  test accuracy ${m.accuracy.toFixed(3)}  macro-F1 ` +
        `${m.macroF1.toFixed(3)}  -> ${m.dir}${outcome}`,
    );
  }
}

function main(): number {
  const { values, positionals } = parseFlags(
    {
      data: { type: 'string' },
      label: { type: 'string' },
      model: { type: 'string', multiple: true },
      models: { type: 'string', default: DEFAULT_MODELS_FILE },
      'model-dir': { type: 'string', default: process.env.MODEL_DIR || DEFAULT_MODEL_DIR },
      promote: { type: 'boolean', default: false },
      'if-missing': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length > 0) throw new InputError(`unexpected argument "${positionals[0]}"; usage: ${USAGE}`);
  if (values.label !== undefined && values.data === undefined) throw new InputError('--label goes with --data');
  if (values.data !== undefined && !values.label)
    throw new InputError('--data needs --label, the name of the class column');
  const modelDir = values['model-dir'];
  const configs = loadModelConfigs(values.models);
  const names = values.model ?? Object.keys(configs);
  for (const name of names) {
    if (!configs[name])
      throw new InputError(`no model "${name}" in ${values.models}; known: ${Object.keys(configs).join(', ')}`);
  }

  const todo = values['if-missing'] ? names.filter((name) => !currentVersion(modelDir, name)) : names;
  if (todo.length === 0) {
    if (!values.json) console.log(`every model already has a promoted version in ${modelDir}; nothing to train`);
    return 0;
  }
  // Kept off stdout with --json, which then holds exactly one JSON document.
  if (values['if-missing'] && !values.json)
    console.log(`no promoted ${todo.join(', ')} in ${modelDir}: training them first`);

  // Each model trains on its configured data unless --data replaces it (an experiment). Every data
  // set is loaded and every model trained before anything is written, so a problem in one model's
  // data leaves the registry untouched.
  const override = values.data ? { path: values.data, label: values.label as string } : undefined;
  const datasets = loadTrainingData(values.models, configs, todo, override);
  const artifacts: ModelArtifact[] = todo.map((name) =>
    trainModel(datasets.get(name)!, name, configs[name]!, values.models),
  );

  // Writes go from least to most visible, so a run killed at any point leaves every model either as
  // it was or as a finished run leaves it: complete version directories first (unreferenced until
  // a pointer names them), then every `latest`, then promotions (current, then history).
  sweepStaging(modelDir);
  const dirs = artifacts.map((artifact) => writeArtifact(modelDir, artifact, renderModelCard(artifact)));
  for (const artifact of artifacts) markLatest(modelDir, artifact.name, artifact.version);
  const summary = artifacts.map((artifact, i) =>
    summarize(artifact, dirs[i]!, values.promote && promoteIfGated(modelDir, artifact, configs[artifact.name]!.gate)),
  );
  const failed = values.promote && summary.some((m) => !m.row.promoted);

  printSummary(summary, values.json, values.promote);
  return failed ? GATE_REFUSED_EXIT : 0;
}

runCli(main);
