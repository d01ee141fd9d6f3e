/** The benchmark's requests: the dev user's basic auth, one iris row, and batches of them. */
export const BENCH_AUTHORIZATION = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;

export const SINGLE_ROW_BODY = JSON.stringify({ X: [5.9, 3.0, 4.2, 1.5] });

/** A POST /predict body of `rows` distinct, plausible iris rows, the same every run. */
export function batchBody(rows: number): string {
  const X = Array.from({ length: rows }, (_, i) => [
    4.3 + ((i * 7) % 36) / 10,
    2.0 + ((i * 3) % 24) / 10,
    1.0 + ((i * 11) % 59) / 10,
    0.1 + ((i * 5) % 24) / 10,
  ]);
  return JSON.stringify({ X });
}

/** Parses a positive integer option or throws one line naming it. */
export function positiveInt(name: string, raw: string, usage: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${raw}" (${usage})`);
  return n;
}
