/** Precision, recall and F1 of one class on a test set. */
export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** The held-out scores of a classifier. */
export interface Evaluation {
  accuracy: number;
  macroF1: number;
  perClass: Record<string, ClassScores>;
  /** `matrix[actual][predicted]`, both in `labels` order. */
  confusionMatrix: { labels: string[]; matrix: number[][] };
}

/** Scores predictions against truth. Classes with no predictions get precision 0, not NaN. */
export function evaluate(
  actual: readonly number[],
  predicted: readonly number[],
  classNames: readonly string[],
): Evaluation {
  const n = classNames.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  actual.forEach((a, i) => {
    const row = matrix[a] as number[];
    const p = predicted[i] as number;
    row[p] = (row[p] ?? 0) + 1;
  });
  let correct = 0;
  const perClass: Record<string, ClassScores> = {};
  let f1Sum = 0;
  classNames.forEach((name, c) => {
    const tp = matrix[c]?.[c] ?? 0;
    correct += tp;
    const support = (matrix[c] ?? []).reduce((s, v) => s + v, 0);
    const predictedAs = matrix.reduce((s, row) => s + (row[c] ?? 0), 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass[name] = { precision, recall, f1, support };
    f1Sum += f1;
  });
  return {
    accuracy: actual.length === 0 ? 0 : correct / actual.length,
    macroF1: n === 0 ? 0 : f1Sum / n,
    perClass,
    confusionMatrix: { labels: [...classNames], matrix },
  };
}

/** Mean and population standard deviation. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}
