import { InputError } from '../../errors';
import { meanAndStd } from '../../evaluate';
import { fitStandardizer, standardize } from '../../preprocess';
import { seededRandom } from '../../random';
import { stratifiedKFold } from '../../split';
import { KnnKernel } from './kernel';
import type { DistanceName } from './ml-knn';
import { fitMlKnn } from './ml-knn';

/** Cross-validation results: every candidate k's fold scores, and the chosen one. */
export interface CrossValidation {
  folds: number;
  metric: 'accuracy';
  chosenK: number;
  mean: number;
  std: number;
  candidates: Array<{ k: number; mean: number; std: number; foldScores: number[] }>;
}

function pick<T>(items: readonly T[], indexes: readonly number[]): T[] {
  return indexes.map((i) => items[i] as T);
}

/** One cross-validation fold of one candidate: the rows to fit on, the rows to score, and the model's settings. */
interface FoldTrial {
  X: number[][];
  y: number[];
  fit: number[];
  validate: number[];
  k: number;
  distance: DistanceName;
}

/** Accuracy of a model fitted on `fit` rows and scored on `validate` rows, standardizing on `fit` only. */
function foldAccuracy({ X, y, fit, validate, k, distance }: FoldTrial): number {
  const scaler = fitStandardizer(pick(X, fit));
  const kernel = new KnnKernel(
    fitMlKnn(standardize(scaler, pick(X, fit)), pick(y, fit), k, distance),
    distance,
    scaler.mean.length,
  );
  const validateX = standardize(scaler, pick(X, validate));
  let correct = 0;
  validate.forEach((row, i) => {
    if (kernel.predict(validateX[i] as number[]) === y[row]) correct++;
  });
  return correct / validate.length;
}

/** What the search runs over: the training split, and the configuration's candidates and metric. */
export interface Search {
  X: number[][];
  y: number[];
  classCount: number;
  folds: number;
  kCandidates: readonly number[];
  distance: DistanceName;
  seed: number;
}

/** Chooses k by stratified k-fold cross-validation: best mean accuracy, then lowest spread, then smallest k. */
export function crossValidate({
  X,
  y,
  classCount,
  folds: foldCount,
  kCandidates,
  distance,
  seed,
}: Search): CrossValidation {
  const folds = stratifiedKFold(y, classCount, foldCount, seededRandom(seed));
  const smallestFit = Math.min(...folds.map((f) => f.fit.length));
  const usable = [...new Set(kCandidates)].sort((a, b) => a - b).filter((k) => k <= smallestFit);
  if (usable.length === 0) {
    throw new InputError(
      `every k candidate exceeds the ${smallestFit} rows of the smallest fold: use smaller kCandidates`,
    );
  }
  const candidates = usable.map((k) => {
    const foldScores = folds.map((f) => foldAccuracy({ X, y, fit: f.fit, validate: f.validate, k, distance }));
    return { k, ...meanAndStd(foldScores), foldScores };
  });
  const best = candidates.reduce((a, b) => (b.mean > a.mean || (b.mean === a.mean && b.std < a.std) ? b : a));
  return { folds: foldCount, metric: 'accuracy', chosenK: best.k, mean: best.mean, std: best.std, candidates };
}
