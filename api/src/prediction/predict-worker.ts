import { parentPort } from 'node:worker_threads';
import { loadWith } from '../../../model/src/algorithms/loaders';
import type { Predictor } from '../../../model/src/algorithms/port';
import type { Loadable } from '../models/model-store';

/**
 * The batch prediction thread (bundled to dist/bundle/predict-worker.js): it loads each model
 * with the same algorithm code as the main thread, so its labels are the main thread's. It keeps
 * one predictor per model sha256, sent once by the main thread (batch-predictor.ts).
 */

/** A model as the thread needs it: what its predictor is loaded from. */
export interface WorkerModel extends Loadable {
  sha256: string;
}

/** Models the thread keeps, the most recently sent: the served models plus a promotion or two. */
export const MODELS_KEPT = 4;

export type ToWorker =
  { type: 'model'; model: WorkerModel } | { type: 'predict'; id: number; sha256: string; rows: Float64Array };
export type FromWorker = { id: number; labels: Int32Array } | { id: number; error: string };

function serve(port: NonNullable<typeof parentPort>): void {
  const models = new Map<string, { predictor: Predictor; featureCount: number }>();
  port.on('message', (message: ToWorker) => {
    if (message.type === 'model') {
      const { sha256, algorithm, input } = message.model;
      models.set(sha256, { predictor: loadWith(algorithm, input), featureCount: input.featureNames.length });
      // The oldest sent goes first, as the main thread's list forgets it (batch-predictor.ts).
      if (models.size > MODELS_KEPT) models.delete(models.keys().next().value as string);
      return;
    }
    const loaded = models.get(message.sha256);
    if (!loaded)
      return port.postMessage({ id: message.id, error: `model ${message.sha256} was never sent` } satisfies FromWorker);
    const labels = new Int32Array(message.rows.length / loaded.featureCount);
    loaded.predictor.predictFlat(message.rows, labels);
    port.postMessage({ id: message.id, labels } satisfies FromWorker, [labels.buffer]);
  });
}

if (parentPort) serve(parentPort);
