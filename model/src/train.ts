import { join } from 'node:path';
import type { ModelArtifact } from './artifact';
import { metricsOf, readMetrics, versionDir, writeArtifact } from './artifact';
import { parseFlags, runCli } from './cli';
import type { Dataset } from './dataset';
import { loadCsv, loadIris } from './dataset';
import { InputError } from './errors';
import { renderModelCard } from './model-card';
import { DEFAULT_MODELS_FILE, loadModelConfigs } from './model-config';
import { evaluateGate, renderGateMarkdown } from './quality-gate';
import { currentVersion, DEFAULT_MODEL_DIR, markLatest, promote, sweepStaging } from './registry';
import { trainModel } from './training';

const USAGE =
  'npm run train -- [--data file.csv --label column] [--model NAME ...] [--models model/models.json] [--model-dir DIR] [--promote] [--if-missing] [--json]';

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
  if (values.data !== undefined && !values.label) throw new InputError('--data needs --label, the name of the class column');
  const modelDir = values['model-dir'];
  const configs = loadModelConfigs(values.models);
  const names = values.model ?? Object.keys(configs);
  for (const name of names) {
    if (!configs[name]) throw new InputError(`no model "${name}" in ${values.models}; known: ${Object.keys(configs).join(', ')}`);
  }

  const todo = values['if-missing'] ? names.filter((name) => !currentVersion(modelDir, name)) : names;
  if (todo.length === 0) {
    if (!values.json) console.log(`every model already has a promoted version in ${modelDir}; nothing to train`);
    return 0;
  }
  if (values['if-missing']) console.log(`no promoted ${todo.join(', ')} in ${modelDir}: training the defaults first`);

  const dataset: Dataset = values.data ? loadCsv(values.data, values.label as string) : loadIris();
  // Train every model before writing any, so a data problem in one leaves the registry untouched.
  const artifacts: ModelArtifact[] = todo.map((name) => trainModel(dataset, name, configs[name]!));

  // Writes go from least to most visible, so a run killed at any point leaves every model either as
  // it was or as a finished run leaves it: complete version directories first (unreferenced until
  // a pointer names them), then every `latest`, then promotions (current, then history).
  sweepStaging(modelDir);
  const dirs = artifacts.map((artifact) => writeArtifact(modelDir, artifact, renderModelCard(artifact)));
  for (const artifact of artifacts) markLatest(modelDir, artifact.name, artifact.version);
  let failed = false;
  const summary = artifacts.map((artifact, i) => {
    let promoted = false;
    if (values.promote) {
      const current = currentVersion(modelDir, artifact.name);
      const baseline = current && current !== artifact.version ? readMetrics(join(versionDir(modelDir, artifact.name, current), 'metrics.json')) : undefined;
      const verdict = evaluateGate(metricsOf(artifact), configs[artifact.name]!.gate, baseline);
      if (verdict.passed) {
        promote(modelDir, artifact.name, artifact.version);
        promoted = true;
      } else {
        failed = true;
        console.error(renderGateMarkdown([verdict]));
      }
    }
    return { name: artifact.name, version: artifact.version, k: artifact.hyperparameters.k, distance: artifact.hyperparameters.distance, accuracy: artifact.scores.accuracy, macroF1: artifact.scores.macroF1, dir: dirs[i]!, promoted };
  });

  if (values.json) {
    console.log(JSON.stringify({ dataset: dataset.source, models: summary }));
  } else {
    for (const m of summary) {
      console.log(
        `${m.name} ${m.version}  k=${m.k} ${m.distance}  test accuracy ${m.accuracy.toFixed(3)}  macro-F1 ${m.macroF1.toFixed(3)}  -> ${m.dir}${m.promoted ? '  (promoted)' : values.promote ? '  (NOT promoted: gate failed)' : ''}`,
      );
    }
  }
  return failed ? 1 : 0;
}

runCli(main);
