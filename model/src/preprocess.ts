/** z-score standardization parameters, fitted on training rows only and stored in the artifact. */
export interface Standardizer {
  type: 'standardize';
  mean: number[];
  std: number[];
}

/**
 * Fits per-feature mean and population standard deviation. A constant feature gets std 1 so it passes through centred.
 */
export function fitStandardizer(X: readonly number[][]): Standardizer {
  const width = X[0]?.length ?? 0;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (const row of X) for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / X.length;
  for (const row of X)
    for (let j = 0; j < width; j++) std[j] = (std[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
  for (let j = 0; j < width; j++) {
    const s = Math.sqrt((std[j] as number) / X.length);
    std[j] = s > 0 ? s : 1;
  }
  return { type: 'standardize', mean, std };
}

/** The part of a {@link Standardizer} that standardizing reads (a served model carries it too). */
export type StandardizerParameters = Pick<Standardizer, 'mean' | 'std'>;

/**
 * One feature's z-score. The one formula training, serving and the drift metric all use, so the
 * model never sees a row standardized differently from the rows it was trained on.
 */
export function standardizeValue(scaler: StandardizerParameters, feature: number, value: number): number {
  return (value - (scaler.mean[feature] as number)) / (scaler.std[feature] as number);
}

/**
 * Standardizes one row into `out` (one value per feature; reused by the caller, so the serving hot path allocates
 * nothing).
 */
export function standardizeInto(
  scaler: StandardizerParameters,
  row: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  for (let j = 0; j < out.length; j++) out[j] = standardizeValue(scaler, j, row[j] as number);
  return out;
}

/** Standardizes one row into a new array (training's path; a Float64Array per row would cost twice as much here). */
export function standardizeRow(scaler: StandardizerParameters, row: ArrayLike<number>): number[] {
  const out = new Array<number>(scaler.mean.length);
  for (let j = 0; j < out.length; j++) out[j] = standardizeValue(scaler, j, row[j] as number);
  return out;
}

/** Standardizes every row. */
export function standardize(scaler: StandardizerParameters, X: readonly number[][]): number[][] {
  return X.map((row) => standardizeRow(scaler, row));
}

/** Back from standardized to the caller's units (the inverse of {@link standardizeRow}). */
export function unstandardizeRow(scaler: StandardizerParameters, z: ArrayLike<number>): number[] {
  return Array.from(
    { length: scaler.mean.length },
    (_, j) => (z[j] as number) * (scaler.std[j] as number) + (scaler.mean[j] as number),
  );
}
