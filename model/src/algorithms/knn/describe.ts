import type { Description } from '../port';
import type { CrossValidation } from './cross-validation';
import type { DistanceName } from './ml-knn';

/** KNN's hyperparameters as its artifacts record them (testFraction and seed sit beside them). */
export interface KnnParams {
  k: number;
  distance: DistanceName;
  kCandidates: number[];
  folds: number;
}

const fixed = (value: number): string => value.toFixed(3);

/** The card's words for a KNN model, its `/models` fields and its one-line summary. */
export function describeKnn(
  params: KnnParams,
  selection: Record<string, unknown>,
  software: Record<string, string>,
): Description {
  const cv = selection.cv as CrossValidation | undefined;
  return {
    summary:
      `k-nearest-neighbours classifier (ml-knn ${software.mlKnn ?? 'unknown'}), ${params.distance} distance, ` +
      `k = ${params.k}, on z-score standardized features.`,
    hyperparameters: [
      `- k chosen by ${params.folds}-fold stratified cross-validation on the training split from ` +
        `${params.kCandidates.join(', ')}`,
      '',
      '| k | CV accuracy (mean) | std |',
      '|---|---|---|',
      ...(cv?.candidates ?? []).map(
        (c) => `| ${c.k}${c.k === params.k ? ' (chosen)' : ''} | ${fixed(c.mean)} | ${fixed(c.std)} |`,
      ),
    ],
    limitations: [
      '- KNN answers with the majority of the nearest training rows; it has no notion of "none of these", so inputs ' +
        'far from the training data still get a confident-looking class. Watch the drift metrics.',
    ],
    fields: { k: params.k, distance: params.distance },
    brief: `k=${params.k} ${params.distance}`,
  };
}
