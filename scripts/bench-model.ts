import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batchBody } from './bench/requests';
import { algorithmOf, loadInputOf } from '../model/src/artifact';
import { loadModelConfigs } from '../model/src/algorithms/configs';
import { DEFAULT_MODELS_FILE } from '../model/src/model-config';
import { trainModel } from '../model/src/training';
import { loadTrainingData } from '../model/src/training-data';

/**
 * Model benchmark: the configured algorithm's predictor on every row of the model's data (in the
 * caller's units, standardized as serving does), batch throughput (row by row, and laid end to end
 * as the batch thread predicts), the figures the algorithm adds of its own (for
 * a reimplemented library, that library against its serving code), and its scikit-learn
 * reference rebuilt from the same artifact (one row per call, and 100-row batches), measured in
 * the same run by the Python of .venv-tools. Prints a table, or one JSON line with --json.
 */
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    model: { type: 'string', default: 'M1' },
    seconds: { type: 'string', default: '1' },
  },
});
const configs = loadModelConfigs();
const config = configs[values.model];
if (!config) throw new Error(`unknown model ${values.model}`);
const data = loadTrainingData(DEFAULT_MODELS_FILE, configs, [values.model]).get(values.model)!;
const artifact = trainModel(data, values.model, config);
const algorithm = algorithmOf(artifact);
const input = loadInputOf(artifact);
const predictor = algorithm.load(input);
const rows = data.X;
const budgetMs = Number(values.seconds) * 1000;

/**
 * Runs `pass` (one sweep over `rowsPerPass` rows, all the data's rows unless said) repeatedly for the time budget;
 * returns µs per row.
 */
function usPerRow(pass: () => number, rowsPerPass = rows.length): number {
  let sink = 0;
  for (let i = 0; i < 50; i++) sink += pass(); // warm-up so the JIT has compiled both paths
  let sweeps = 0;
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  while (elapsedNs < BigInt(budgetMs) * 1_000_000n) {
    sink += pass();
    sweeps++;
    elapsedNs = process.hrtime.bigint() - start;
  }
  if (sink === -1) console.log('unreachable');
  return Number(elapsedNs) / 1000 / (sweeps * rowsPerPass);
}

const own = algorithm.benchmark?.(predictor, input, rows, (pass) => usPerRow(pass)) ?? {};
const predictUs = usPerRow(() => {
  let s = 0;
  for (const row of rows) s += predictor.predict(row);
  return s;
});
// Batch path as the API runs it: each raw row standardized and predicted, per 100-row batch.
const batch = rows.slice(0, 100);
const batchUs = usPerRow(() => {
  let s = 0;
  for (const row of batch) s += predictor.predict(row);
  return s;
}, batch.length);
// The API benchmark's 1,000-row batch (scripts/bench-api.ts): synthetic rows far from the training
// data, where a search over the training rows prunes least.
const farBatch = (JSON.parse(batchBody(1000)) as { X: number[][] }).X;
const farBatchUs = usPerRow(() => {
  let s = 0;
  for (const row of farBatch) s += predictor.predict(row);
  return s;
}, farBatch.length);
// The same rows as the batch thread predicts them: laid end to end, one predictFlat call.
const farFlat = new Float64Array(farBatch.flat());
const farLabels = new Int32Array(farBatch.length);
const threadBatchUs = usPerRow(() => {
  predictor.predictFlat(farFlat, farLabels);
  return farLabels[0] ?? 0;
}, farBatch.length);
/** scikit-learn's predict, µs per row, or undefined (with one line on stderr) when .venv-tools is missing. */
function sklearnFigures(): { singleUsPerRow: number; batchUsPerRow: number; batchRows: number } | undefined {
  const reference = algorithm.scikitLearn;
  if (!reference) return undefined;
  const python = join(__dirname, '..', '..', '.venv-tools', 'bin', 'python');
  if (!existsSync(python)) {
    console.error('note: scikit-learn not measured: run npm run tools:install');
    return undefined;
  }
  const spec = {
    ...reference.spec(values.model, input),
    queries: rows,
    mode: 'bench',
    benchSeconds: Number(values.seconds),
    batchRows: batch.length,
  };
  const script = join(__dirname, '..', '..', reference.script);
  const run = spawnSync(python, [script], { input: JSON.stringify(spec), encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`scikit-learn benchmark failed: ${run.stderr.trim().split('\n').pop() ?? ''}`);
  return JSON.parse(run.stdout) as { singleUsPerRow: number; batchUsPerRow: number; batchRows: number };
}
const sklearn = sklearnFigures();
const result = {
  model: values.model,
  algorithm: algorithm.name,
  ...algorithm.describe(artifact.hyperparameters, artifact.scores, artifact.software).fields,
  rows: rows.length,
  predictUsPerSample: Number(predictUs.toFixed(3)),
  ...own,
  batchPredictionsPerSecond: Math.round(1e6 / batchUs),
  farBatchPredictionsPerSecond: Math.round(1e6 / farBatchUs),
  threadBatchPredictionsPerSecond: Math.round(1e6 / threadBatchUs),
  sklearnUsPerSample: sklearn ? Number(sklearn.singleUsPerRow.toFixed(3)) : null,
  sklearnBatchUsPerSample: sklearn ? Number(sklearn.batchUsPerRow.toFixed(3)) : null,
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  console.table({
    ...own,
    'predict, standardizing included (µs/sample)': result.predictUsPerSample,
    'batch predictions/s (standardize + predict)': result.batchPredictionsPerSecond,
    "predictions/s on bench:api's 1,000 batch rows (far from the data)": result.farBatchPredictionsPerSecond,
    'predictions/s on those rows as the batch thread predicts them (predictFlat)':
      result.threadBatchPredictionsPerSecond,
    'scikit-learn predict, one row per call (µs/sample)': result.sklearnUsPerSample ?? 'not measured',
    'scikit-learn predict, 100-row batches (µs/sample)': result.sklearnBatchUsPerSample ?? 'not measured',
  });
}
