import { algorithmField, algorithmNamed } from './algorithms';
import type { ModelArtifact } from './artifact';
import { sealArtifact } from './artifact';
import type { Dataset } from './dataset';
import { fingerprint } from './dataset';
import { InputError } from './errors';
import { evaluate } from './evaluate';
import type { ModelConfig } from './model-config';
import { DEFAULT_MODELS_FILE, resolveDataPath } from './model-config';
import { fitStandardizer } from './preprocess';
import { seededRandom } from './random';
import { stratifiedSplit } from './split';

/**
 * Checks that a data set can be split and fitted as configured (the algorithm adds its own
 * conditions); throws an {@link InputError} that says what to fix.
 */
export function assertTrainable(dataset: Dataset, config: ModelConfig): void {
  if (dataset.classNames.length < 2) {
    throw new InputError(
      `${dataset.source}: found ${dataset.classNames.length} class (${dataset.classNames.join(', ') || 'none'}); a ` +
        `classifier needs at least two`,
    );
  }
  algorithmNamed(config.algorithm).assertTrainable(dataset, config, config.testFraction);
}

function pick<T>(items: readonly T[], indexes: readonly number[]): T[] {
  return indexes.map((i) => items[i] as T);
}

/**
 * Trains one named configuration: stratified train/test split, standardization fitted on the
 * training split, the configured algorithm fitted there (with its own model selection), then
 * scored on the held-out test split. Deterministic for a given data set, configuration and seed.
 * Paths in the configuration resolve as the models file's data paths do.
 */
export function trainModel(
  dataset: Dataset,
  name: string,
  config: ModelConfig,
  modelsFile = DEFAULT_MODELS_FILE,
): ModelArtifact {
  assertTrainable(dataset, config);
  const algorithm = algorithmNamed(config.algorithm);
  const classCount = dataset.classNames.length;
  // Two independent streams from one seed: the split does not shift when the fold logic changes.
  const { train, test } = stratifiedSplit(dataset.y, classCount, config.testFraction, seededRandom(config.seed));
  const trainX = pick(dataset.X, train);
  const standardizer = fitStandardizer(trainX);
  const fitted = algorithm.fit(
    {
      X: trainX,
      y: pick(dataset.y, train),
      classCount,
      featureCount: dataset.featureNames.length,
      classNames: dataset.classNames,
      resolvePath: (path) => resolveDataPath(modelsFile, path),
      standardizer,
      seed: config.seed + 1,
    },
    config,
  );

  const content = {
    format: algorithm.format,
    ...algorithmField(algorithm.name),
    name,
    dataset: fingerprint(dataset),
    preprocessing: standardizer,
    hyperparameters: {
      ...(fitted.params as Record<string, unknown>),
      testFraction: config.testFraction,
      seed: config.seed,
    },
    split: { trainRows: train.length, testRows: test.length },
    model: fitted.model,
    software: fitted.software,
  };
  const predictor = algorithm.load({
    hyperparameters: fitted.params,
    model: fitted.model,
    preprocessing: standardizer,
    featureNames: dataset.featureNames,
    classNames: dataset.classNames,
  });
  const evaluation = evaluate(
    pick(dataset.y, test),
    pick(dataset.X, test).map((row) => predictor.predict(row)),
    dataset.classNames,
  );
  return sealArtifact({ ...content, scores: { ...evaluation, testRows: test.length, ...fitted.selection } });
}

/** The split a trained artifact was scored on, recomputed from its configuration (for checks and tests). */
export function splitOf(
  dataset: Dataset,
  config: Pick<ModelConfig, 'testFraction' | 'seed'>,
): { train: number[]; test: number[] } {
  return stratifiedSplit(dataset.y, dataset.classNames.length, config.testFraction, seededRandom(config.seed));
}
