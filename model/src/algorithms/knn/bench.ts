import type { KnnModelJson } from 'ml-knn';
import { standardize } from '../../preprocess';
import type { LoadInput, Predictor } from '../port';
import type { KnnParams } from './describe';
import { loadMlKnn } from './ml-knn';
import { KnnPredictor } from './predictor';

/**
 * What the serving kernel buys: ml-knn's own predict against the kernel on the same standardized
 * rows (no standardization in either pass, so the two times compare the searches alone).
 *
 * The kernel is the predictor's own, not a second one: with two kernels hot in one process V8's
 * code for the generated scan is shared and slower for both (the predictor's far-from-data rows
 * took 1.75-2.06 µs instead of 1.23-1.31 µs, in CPU time), which made the port's bench:model read
 * 35-45% slower than the build before it with the same kernel. Each pass is its own function for
 * the same reason: one closure calling both `predict`s is polymorphic, and neither is inlined.
 */
export function benchmarkKnn(
  predictor: Predictor,
  input: LoadInput<KnnParams, KnnModelJson>,
  rows: number[][],
  usPerRow: (pass: () => number) => number,
): Record<string, number> {
  if (!(predictor instanceof KnnPredictor)) throw new Error('benchmarkKnn needs the predictor knn.load returned');
  const standardized = standardize(input.preprocessing, rows);
  const { kernel } = predictor;
  const reference = loadMlKnn(input.model, input.hyperparameters.distance);
  const mlKnnUs = usPerRow(() => {
    let s = 0;
    for (const row of standardized) s += reference.predict(row);
    return s;
  });
  const kernelUs = usPerRow(() => {
    let s = 0;
    for (const row of standardized) s += kernel.predict(row);
    return s;
  });
  return {
    mlKnnUsPerSample: Number(mlKnnUs.toFixed(3)),
    kernelUsPerSample: Number(kernelUs.toFixed(3)),
    speedup: Number((mlKnnUs / kernelUs).toFixed(1)),
    tieReplays: kernel.tieCount,
  };
}
