import { z } from 'zod';
import { ApiError } from './errors';

/** A row: exactly `features` finite numbers (JSON cannot carry NaN; 1e999 parses to Infinity and is refused). */
function rowSchema(features: number) {
  return z.array(z.number().finite('must be a finite number')).length(features, `must have exactly ${features} numbers`);
}

const cache = new Map<string, { envelope: z.ZodType<{ X: unknown[] }>; row: z.ZodType<{ X: number[] }>; batch: z.ZodType<{ X: number[][] }> }>();

function schemasFor(features: number, maxBatch: number) {
  const key = `${features}:${maxBatch}`;
  let schemas = cache.get(key);
  if (!schemas) {
    const row = rowSchema(features);
    schemas = {
      envelope: z.strictObject({ X: z.array(z.unknown(), `must be one row of ${features} numbers or an array of such rows`) }),
      row: z.object({ X: row }),
      batch: z.object({ X: z.array(row).min(1, 'a batch needs at least one row').max(maxBatch, `a batch holds at most ${maxBatch} rows`) }),
    };
    cache.set(key, schemas);
  }
  return schemas;
}

/**
 * Validates `{"X": row}` or `{"X": [row, …]}` (at most `maxBatch` rows) and returns the rows and
 * whether it was a batch. Errors name the field: `X.1.2: must be a finite number`.
 */
export function parsePredictBody(body: unknown, features: number, maxBatch: number): { rows: number[][]; batch: boolean } {
  const schemas = schemasFor(features, maxBatch);
  const { X } = parseOrThrow(schemas.envelope, body);
  // A batch is an array whose first element is an array; anything else is checked as one row.
  if (Array.isArray(X[0])) return { rows: parseOrThrow(schemas.batch, body).X, batch: true };
  return { rows: [parseOrThrow(schemas.row, body).X], batch: false };
}

/** Parses with `schema` or throws a 400 that says which field is wrong and why. */
export function parseOrThrow<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.slice(0, 10).map((issue) => ({ field: issue.path.length ? issue.path.join('.') : '(body)', problem: issue.message }));
  const first = details[0]!;
  throw new ApiError('invalid_input', `${first.field}: ${first.problem}`, details);
}
