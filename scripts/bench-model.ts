import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { batchBody } from './bench/requests';
import { knnSpecFromArtifact } from './knn-spec';
import { loadIris } from '../model/src/dataset';
import { KnnKernel } from '../model/src/knn';
import { loadMlKnn } from '../model/src/knn-fit';
import { loadModelConfigs } from '../model/src/model-config';
import { standardize, standardizeInto } from '../model/src/preprocess';
import { trainModel } from '../model/src/training';

/**
 * Serving-kernel benchmark: ml-knn's predict against the exact kernel on every Iris row (standardized
 * as the model sees them), plus batch throughput, and scikit-learn's KNeighborsClassifier rebuilt
 * from the same artifact (one row per call, and 100-row batches), measured in the same run by the
 * Python of .venv-tools. Prints a table, or one JSON line with --json.
 */
const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, model: { type: 'string', default: 'M1' }, seconds: { type: 'string', default: '1' } } });
const config = loadModelConfigs()[values.model];
if (!config) throw new Error(`unknown model ${values.model}`);
const iris = loadIris();
const artifact = trainModel(iris, values.model, config);
const rows = standardize(artifact.preprocessing, iris.X);
const kernel = new KnnKernel(artifact.model, artifact.hyperparameters.distance, iris.featureNames.length);
const reference = loadMlKnn(artifact.model, artifact.hyperparameters.distance);
const budgetMs = Number(values.seconds) * 1000;

/** Runs `pass` (one sweep over `rowsPerPass` rows, all Iris rows unless said) repeatedly for the time budget; returns µs per row. */
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

const mlKnnUs = usPerRow(() => {
  let s = 0;
  for (const row of rows) s += reference.predict(row);
  return s;
});
const kernelUs = usPerRow(() => {
  let s = 0;
  for (const row of rows) s += kernel.predict(row);
  return s;
});
// Batch path as the API runs it: standardize raw rows, then predict, per 100-row batch.
const batch = iris.X.slice(0, 100);
const batchUs = usPerRow(() => {
  let s = 0;
  for (const row of standardize(artifact.preprocessing, batch)) s += kernel.predict(row);
  return s;
}) * (rows.length / batch.length);
// The API benchmark's 1,000-row batch (scripts/bench-api.ts): synthetic rows far from the training
// data, where the scan prunes least. Standardized into one scratch row and predicted, as the API does.
const farBatch = (JSON.parse(batchBody(1000)) as { X: number[][] }).X;
const scratch = new Float64Array(iris.featureNames.length);
const farBatchUs = usPerRow(() => {
  let s = 0;
  for (const row of farBatch) s += kernel.predict(standardizeInto(artifact.preprocessing, row, scratch));
  return s;
}, farBatch.length);
/** scikit-learn's predict, µs per row, or undefined (with one line on stderr) when .venv-tools is missing. */
function sklearnFigures(): { singleUsPerRow: number; batchUsPerRow: number; batchRows: number } | undefined {
  const python = join(__dirname, '..', '..', '.venv-tools', 'bin', 'python');
  if (!existsSync(python)) {
    console.error('note: scikit-learn not measured: run npm run tools:install');
    return undefined;
  }
  const spec = { ...knnSpecFromArtifact(values.model, artifact), queries: iris.X, mode: 'bench', benchSeconds: Number(values.seconds), batchRows: batch.length };
  const script = join(__dirname, '..', '..', 'tools', 'python', 'sklearn_knn.py');
  const run = spawnSync(python, [script], { input: JSON.stringify(spec), encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`scikit-learn benchmark failed: ${run.stderr.trim().split('\n').pop() ?? ''}`);
  return JSON.parse(run.stdout) as { singleUsPerRow: number; batchUsPerRow: number; batchRows: number };
}
const sklearn = sklearnFigures();
const result = {
  model: values.model,
  k: artifact.hyperparameters.k,
  rows: rows.length,
  mlKnnUsPerSample: Number(mlKnnUs.toFixed(3)),
  kernelUsPerSample: Number(kernelUs.toFixed(3)),
  speedup: Number((mlKnnUs / kernelUs).toFixed(1)),
  batchPredictionsPerSecond: Math.round(1e6 / (batchUs / (rows.length / batch.length)) ),
  farBatchPredictionsPerSecond: Math.round(1e6 / farBatchUs),
  tieReplays: kernel.tieCount,
  sklearnUsPerSample: sklearn ? Number(sklearn.singleUsPerRow.toFixed(3)) : null,
  sklearnBatchUsPerSample: sklearn ? Number(sklearn.batchUsPerRow.toFixed(3)) : null,
};
if (values.json) {
  console.log(JSON.stringify(result));
} else {
  console.table({
    'ml-knn predict (µs/sample)': result.mlKnnUsPerSample,
    'serving kernel (µs/sample)': result.kernelUsPerSample,
    speedup: result.speedup,
    'batch predictions/s (standardize + predict)': result.batchPredictionsPerSecond,
    'predictions/s on bench:api\'s 1,000 batch rows (far from the data)': result.farBatchPredictionsPerSecond,
    'scikit-learn predict, one row per call (µs/sample)': result.sklearnUsPerSample ?? 'not measured',
    'scikit-learn predict, 100-row batches (µs/sample)': result.sklearnBatchUsPerSample ?? 'not measured',
  });
}
