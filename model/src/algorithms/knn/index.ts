import type { KnnModelJson } from 'ml-knn';
// Imported, not read at run time: the bundled training CLI (dist/bundle/train.js) runs in the image
// with no node_modules, and the recorded version must still be the one it was built with.
import { version as ML_KNN_VERSION } from 'ml-knn/package.json';
import { z } from 'zod';
import type { Dataset } from '../../dataset';
import { classCounts } from '../../dataset';
import { InputError } from '../../errors';
import { standardize } from '../../preprocess';
import { testRowsForClass } from '../../split';
import type { Algorithm } from '../port';
import { benchmarkKnn } from './bench';
import { crossValidate } from './cross-validation';
import type { KnnParams } from './describe';
import { describeKnn } from './describe';
import { load } from './load';
import { fitMlKnn } from './ml-knn';
import { knnScikitLearn } from './scikit-learn';

const DistanceSchema = z.enum(['euclidean', 'manhattan']);

/** A KNN entry's own fields in models.json. */
const ConfigSchema = z.object({
  distance: DistanceSchema,
  kCandidates: z.array(z.number().int().min(1)).min(1),
  folds: z.number().int().min(2).max(20),
});
type KnnConfig = z.infer<typeof ConfigSchema>;

const TreeNodeSchema: z.ZodType<unknown> = z.lazy(() =>
  z.object({
    obj: z.array(z.number()),
    dimension: z.number().int(),
    left: z.union([TreeNodeSchema, z.null()]),
    right: z.union([TreeNodeSchema, z.null()]),
  }),
);

// The fields the kernel relies on; the artifact's digest already proves the rest is what training wrote.
const ParamsSchema = z.looseObject({
  k: z.number().int().min(1),
  distance: DistanceSchema,
}) as unknown as z.ZodType<KnnParams>;
const BodySchema = z.looseObject({
  name: z.literal('KNN'),
  k: z.number(),
  classes: z.array(z.number()),
  isEuclidean: z.boolean(),
  kdTree: TreeNodeSchema,
}) as unknown as z.ZodType<KnnModelJson>;

/** Each class must keep at least `folds` training rows, or a fold would miss it. */
function assertTrainable(dataset: Dataset, config: KnnConfig, testFraction: number): void {
  const counts = classCounts(dataset);
  dataset.classNames.forEach((name, c) => {
    const size = counts[c] ?? 0;
    const trainRows = size - testRowsForClass(size, testFraction);
    if (trainRows < config.folds) {
      const needed = config.folds + testRowsForClass(config.folds + 1, testFraction);
      throw new InputError(
        `${dataset.source}: class "${name}" has ${size} rows; with ${config.folds} folds and a ${testFraction} test ` +
          `split each class needs at least ${needed}: add rows or lower "folds"`,
      );
    }
  });
}

/**
 * k-nearest neighbours on standardized features: k chosen by stratified cross-validation on the
 * training split, ml-knn's model stored as its own `toJSON()`, served by an exact kernel that
 * answers as ml-knn does (kernel.ts).
 */
export const knn: Algorithm<KnnConfig, KnnParams, KnnModelJson> = {
  name: 'knn',
  format: 'mlship.knn-model/v1',
  metricsFormat: 'mlship.knn-metrics/v1',
  config: ConfigSchema,
  params: ParamsSchema,
  body: BodySchema,
  assertTrainable,
  fit({ X, y, classCount, standardizer, seed }, config) {
    const cv = crossValidate({
      X,
      y,
      classCount,
      folds: config.folds,
      kCandidates: config.kCandidates,
      distance: config.distance,
      seed,
    });
    return {
      params: {
        k: cv.chosenK,
        distance: config.distance,
        kCandidates: cv.candidates.map((c) => c.k),
        folds: config.folds,
      },
      model: fitMlKnn(standardize(standardizer, X), y, cv.chosenK, config.distance),
      selection: { cv },
      software: { mlKnn: ML_KNN_VERSION },
    };
  },
  load,
  describe: describeKnn,
  evidence: {
    neighbours: {
      type: 'array',
      description: "The k nearest training rows, nearest first, in the caller's units.",
      items: {
        type: 'object',
        properties: {
          label: { type: 'string' },
          distance: { type: 'number' },
          features: { type: 'array', items: { type: 'number' } },
        },
      },
    },
  },
  scikitLearn: knnScikitLearn,
  benchmark: benchmarkKnn,
};
