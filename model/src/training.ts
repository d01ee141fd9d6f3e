import type { CrossValidation, ModelArtifact } from './artifact';
import { MODEL_FORMAT, sealArtifact } from './artifact';
import type { Dataset } from './dataset';
import { classCounts, fingerprint } from './dataset';
import { InputError } from './errors';
import { evaluate, meanAndStd } from './evaluate';
import type { DistanceName } from './knn-fit';
import { fitMlKnn } from './knn-fit';
import { KnnKernel } from './knn';
// Imported, not read at run time: the bundled training CLI (dist/bundle/train.js) runs in the image
// with no node_modules, and the recorded version must still be the one it was built with.
import { version as ML_KNN_VERSION } from 'ml-knn/package.json';
import type { ModelConfig } from './model-config';
import { fitStandardizer, standardize } from './preprocess';
import { seededRandom } from './random';
import { stratifiedKFold, stratifiedSplit, testRowsForClass } from './split';


/**
 * Checks that a data set can be split and cross-validated as configured; throws an
 * {@link InputError} that says what to fix.
 */
export function assertTrainable(dataset: Dataset, config: ModelConfig): void {
  if (dataset.classNames.length < 2) {
    throw new InputError(
      `${dataset.source}: found ${dataset.classNames.length} class (${dataset.classNames.join(', ') || 'none'}); a classifier needs at least two`,
    );
  }
  const counts = classCounts(dataset);
  dataset.classNames.forEach((name, c) => {
    const size = counts[c] ?? 0;
    const trainRows = size - testRowsForClass(size, config.testFraction);
    if (trainRows < config.folds) {
      const needed = config.folds + testRowsForClass(config.folds + 1, config.testFraction);
      throw new InputError(
        `${dataset.source}: class "${name}" has ${size} rows; with ${config.folds} folds and a ${config.testFraction} test split each class needs at least ${needed}: add rows or lower "folds"`,
      );
    }
  });
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
  const kernel = new KnnKernel(fitMlKnn(standardize(scaler, pick(X, fit)), pick(y, fit), k, distance), distance, scaler.mean.length);
  const validateX = standardize(scaler, pick(X, validate));
  let correct = 0;
  validate.forEach((row, i) => {
    if (kernel.predict(validateX[i] as number[]) === y[row]) correct++;
  });
  return correct / validate.length;
}

/** Chooses k by stratified k-fold cross-validation: best mean accuracy, then lowest spread, then smallest k. */
function crossValidate(X: number[][], y: number[], classCount: number, config: ModelConfig, seed: number): CrossValidation {
  const folds = stratifiedKFold(y, classCount, config.folds, seededRandom(seed));
  const smallestFit = Math.min(...folds.map((f) => f.fit.length));
  const usable = [...new Set(config.kCandidates)].sort((a, b) => a - b).filter((k) => k <= smallestFit);
  if (usable.length === 0) {
    throw new InputError(`every k candidate exceeds the ${smallestFit} rows of the smallest fold: use smaller kCandidates`);
  }
  const candidates = usable.map((k) => {
    const foldScores = folds.map((f) => foldAccuracy({ X, y, fit: f.fit, validate: f.validate, k, distance: config.distance }));
    return { k, ...meanAndStd(foldScores), foldScores };
  });
  const best = candidates.reduce((a, b) => (b.mean > a.mean || (b.mean === a.mean && b.std < a.std) ? b : a));
  return { folds: config.folds, metric: 'accuracy', chosenK: best.k, mean: best.mean, std: best.std, candidates };
}

/**
 * Trains one named configuration: stratified train/test split, k chosen by cross-validation on the
 * training split, standardization fitted on the training split, ml-knn fitted, then scored on the
 * held-out test split. Deterministic for a given data set, configuration and seed.
 */
export function trainModel(dataset: Dataset, name: string, config: ModelConfig): ModelArtifact {
  assertTrainable(dataset, config);
  const classCount = dataset.classNames.length;
  // Two independent streams from one seed: the split does not shift when the fold logic changes.
  const { train, test } = stratifiedSplit(dataset.y, classCount, config.testFraction, seededRandom(config.seed));
  const trainX = pick(dataset.X, train);
  const trainY = pick(dataset.y, train);
  const cv = crossValidate(trainX, trainY, classCount, config, config.seed + 1);

  const scaler = fitStandardizer(trainX);
  const model = fitMlKnn(standardize(scaler, trainX), trainY, cv.chosenK, config.distance);
  const kernel = new KnnKernel(model, config.distance, dataset.featureNames.length);
  const testX = standardize(scaler, pick(dataset.X, test));
  const testY = pick(dataset.y, test);
  const evaluation = evaluate(testY, testX.map((row) => kernel.predict(row)), dataset.classNames);

  return sealArtifact({
    format: MODEL_FORMAT,
    name,
    dataset: fingerprint(dataset),
    preprocessing: scaler,
    hyperparameters: {
      k: cv.chosenK,
      distance: config.distance,
      kCandidates: cv.candidates.map((c) => c.k),
      folds: config.folds,
      testFraction: config.testFraction,
      seed: config.seed,
    },
    split: { trainRows: train.length, testRows: test.length },
    model,
    scores: { ...evaluation, testRows: test.length, cv },
    software: { mlKnn: ML_KNN_VERSION },
  });
}

/** The split a trained artifact was scored on, recomputed from its configuration (for checks and tests). */
export function splitOf(dataset: Dataset, config: Pick<ModelConfig, 'testFraction' | 'seed'>): { train: number[]; test: number[] } {
  return stratifiedSplit(dataset.y, dataset.classNames.length, config.testFraction, seededRandom(config.seed));
}
