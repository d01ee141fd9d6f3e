import { parentPort } from 'node:worker_threads';
import type { KnnModelJson } from 'ml-knn';
import type { DistanceName } from '../../model/src/knn-fit';
import { KnnKernel } from '../../model/src/knn';
import { standardizeValue } from '../../model/src/preprocess';

/**
 * The batch prediction thread (bundled to dist/bundle/predict-worker.js): the same kernel and
 * standardizer as the main thread, so its labels are the main thread's. It keeps one kernel per
 * model sha256, sent once by the main thread (batch-predictor.ts).
 */

/** A model as the thread needs it: the artifact's ml-knn JSON and its standardization. */
export interface WorkerModel {
  sha256: string;
  model: KnnModelJson;
  distance: DistanceName;
  featureCount: number;
  mean: number[];
  std: number[];
}

/** Kernels the thread keeps, the most recently sent: the served models plus a promotion or two. */
export const KERNELS_KEPT = 4;

export type ToWorker = { type: 'model'; model: WorkerModel } | { type: 'predict'; id: number; sha256: string; rows: Float64Array };
export type FromWorker = { id: number; labels: Int32Array } | { id: number; error: string };

interface Loaded {
  kernel: KnnKernel;
  scaler: { mean: number[]; std: number[] };
  featureCount: number;
}

/** Labels (class indices) of the rows laid end to end, `featureCount` numbers each. */
export function predictFlat(loaded: Loaded, rows: Float64Array): Int32Array<ArrayBuffer> {
  const { featureCount, kernel, scaler } = loaded;
  const scratch = new Float64Array(featureCount);
  const labels = new Int32Array(rows.length / featureCount);
  // Standardized value by value into one scratch row: a subarray per row would be garbage.
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < featureCount; j++) scratch[j] = standardizeValue(scaler, j, rows[i * featureCount + j] as number);
    labels[i] = kernel.predict(scratch);
  }
  return labels;
}

function serve(port: NonNullable<typeof parentPort>): void {
  const models = new Map<string, Loaded>();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'model') {
      const { sha256, model, distance, featureCount, mean, std } = message.model;
      models.set(sha256, { kernel: new KnnKernel(model, distance, featureCount), scaler: { mean, std }, featureCount });
      // The oldest sent goes first, as the main thread's list forgets it (batch-predictor.ts).
      if (models.size > KERNELS_KEPT) models.delete(models.keys().next().value as string);
      return;
    }
    const loaded = models.get(message.sha256);
    if (!loaded) return port.postMessage({ id: message.id, error: `model ${message.sha256} was never sent` } satisfies FromWorker);
    const labels = predictFlat(loaded, message.rows);
    port.postMessage({ id: message.id, labels } satisfies FromWorker, [labels.buffer]);
  });
}

if (parentPort) serve(parentPort);
