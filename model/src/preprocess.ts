/** z-score standardization parameters, fitted on training rows only and stored in the artifact. */
export interface Standardizer {
  type: 'standardize';
  mean: number[];
  std: number[];
}

/** Fits per-feature mean and population standard deviation. A constant feature gets std 1 so it passes through centred. */
export function fitStandardizer(X: readonly number[][]): Standardizer {
  const width = X[0]?.length ?? 0;
  const mean = new Array<number>(width).fill(0);
  const std = new Array<number>(width).fill(0);
  for (const row of X) for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / X.length;
  for (const row of X) for (let j = 0; j < width; j++) std[j] = (std[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
  for (let j = 0; j < width; j++) {
    const s = Math.sqrt((std[j] as number) / X.length);
    std[j] = s > 0 ? s : 1;
  }
  return { type: 'standardize', mean, std };
}

/** Standardizes one row. */
export function standardizeRow(scaler: Standardizer, row: ArrayLike<number>): number[] {
  const out = new Array<number>(scaler.mean.length);
  for (let j = 0; j < out.length; j++) out[j] = ((row[j] as number) - (scaler.mean[j] as number)) / (scaler.std[j] as number);
  return out;
}

/** Standardizes every row. */
export function standardize(scaler: Standardizer, X: readonly number[][]): number[][] {
  return X.map((row) => standardizeRow(scaler, row));
}
