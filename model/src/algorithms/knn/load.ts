import type { KnnModelJson } from 'ml-knn';
import type { LoadInput, Predictor } from '../port';
import type { KnnParams } from './describe';
import { KnnKernel } from './kernel';
import { KnnPredictor } from './predictor';

/**
 * A KNN artifact's predictor. Apart from the algorithm's other parts (fit, schemas, the
 * scikit-learn reference) so the batch thread loads it without bundling training code, zod or
 * ml-knn (see ../loaders.ts).
 */
export function load({
  hyperparameters,
  model,
  preprocessing,
  featureNames,
  classNames,
}: LoadInput<KnnParams, KnnModelJson>): Predictor {
  return new KnnPredictor(
    new KnnKernel(model, hyperparameters.distance, featureNames.length),
    preprocessing,
    classNames,
  );
}
