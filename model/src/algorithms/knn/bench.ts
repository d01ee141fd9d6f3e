import type { KnnModelJson } from 'ml-knn';
import { standardize } from '../../preprocess';
import type { LoadInput } from '../port';
import type { KnnParams } from './describe';
import { KnnKernel } from './kernel';
import { loadMlKnn } from './ml-knn';

/**
 * What the serving kernel buys: ml-knn's own predict against the kernel on the same standardized
 * rows (no standardization in either pass, so the two times compare the searches alone).
 */
export function benchmarkKnn(input: LoadInput<KnnParams, KnnModelJson>, rows: number[][], usPerRow: (pass: () => number) => number): Record<string, number> {
  const standardized = standardize(input.preprocessing, rows);
  const { model, hyperparameters } = input;
  const kernel = new KnnKernel(model, hyperparameters.distance, input.featureNames.length);
  const reference = loadMlKnn(model, hyperparameters.distance);
  const sweep = (predict: (row: number[]) => number) => () => {
    let s = 0;
    for (const row of standardized) s += predict(row);
    return s;
  };
  const mlKnnUs = usPerRow(sweep((row) => reference.predict(row)));
  const kernelUs = usPerRow(sweep((row) => kernel.predict(row)));
  return {
    mlKnnUsPerSample: Number(mlKnnUs.toFixed(3)),
    kernelUsPerSample: Number(kernelUs.toFixed(3)),
    speedup: Number((mlKnnUs / kernelUs).toFixed(1)),
    tieReplays: kernel.tieCount,
  };
}
