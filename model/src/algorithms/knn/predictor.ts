import type { StandardizerParameters } from '../../preprocess';
import { standardizeInto, standardizeValue, unstandardizeRow } from '../../preprocess';
import type { Explanation, Predictor } from '../port';
import type { KnnKernel } from './kernel';

/**
 * The serving side of a KNN model: rows in the caller's units are standardized as in training
 * (the one formula of preprocess.ts) into a scratch row the kernel reads. The scratch row is
 * reused, so a prediction allocates nothing; one predictor serves one thread.
 */
export class KnnPredictor implements Predictor {
  private readonly scratch: Float64Array;

  constructor(
    readonly kernel: KnnKernel,
    private readonly scaler: StandardizerParameters,
    private readonly classNames: readonly string[],
  ) {
    this.scratch = new Float64Array(kernel.featureCount);
  }

  predict(row: ArrayLike<number>): number {
    return this.kernel.predict(standardizeInto(this.scaler, row, this.scratch));
  }

  predictFlat(rows: Float64Array, out: Int32Array): void {
    const { featureCount } = this.kernel;
    const scratch = this.scratch;
    // Value by value into the scratch row: a subarray per row would be garbage.
    for (let i = 0; i < out.length; i++) {
      for (let j = 0; j < featureCount; j++)
        scratch[j] = standardizeValue(this.scaler, j, rows[i * featureCount + j] as number);
      out[i] = this.kernel.predict(scratch);
    }
  }

  explain(row: ArrayLike<number>): Explanation {
    const { label, probabilities, neighbours } = this.kernel.explain(standardizeInto(this.scaler, row, this.scratch));
    const evidence = {
      neighbours: neighbours.map((n) => ({
        label: this.classNames[n.label] as string,
        distance: n.distance,
        // Back to the caller's units, so a neighbour reads like a row of the training data.
        features: unstandardizeRow(this.scaler, n.features),
      })),
    };
    return { label, probabilities, evidence };
  }
}
