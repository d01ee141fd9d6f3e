import type { OnnxPredictor } from './predictor';

/**
 * Checks, on the given rows, that the graph's labels are the data's class names and that its
 * probability columns are in the data's class order (each row's label is its most probable
 * column), so `/predict`, the debug probabilities and OIP all mean the same class by one index.
 * Throws an Error naming the first row that disagrees.
 */
export function checkClassOrder(
  predictor: OnnxPredictor,
  rows: readonly (readonly number[])[],
  classNames: readonly string[],
): void {
  rows.forEach((row, i) => {
    const { label, probabilities } = predictor.explain(row);
    const best = probabilities.indexOf(Math.max(...probabilities));
    if (best !== label) {
      throw new Error(
        `training row ${i} is labelled ${classNames[label]} but its most probable column is ${best} (` +
          `${classNames[best]}): the probabilities' columns must follow the data's class order ` +
          `${classNames.join(', ')}`,
      );
    }
  });
}
