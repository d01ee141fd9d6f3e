import { z } from 'zod';
import { ApiError } from './errors';

/**
 * The largest feature magnitude a row may carry. Beyond about 1e154 a squared difference overflows
 * to Infinity, and v2's neighbour distances would go out as `null` (found by Schemathesis).
 */
export const MAX_FEATURE_MAGNITUDE = 1e150;

/**
 * A row: exactly `features` finite numbers within ±MAX_FEATURE_MAGNITUDE (JSON cannot carry NaN; 1e999 parses to
 * Infinity and is refused).
 */
function rowSchema(features: number) {
  return z
    .array(
      z
        .number()
        .finite('must be a finite number')
        .min(-MAX_FEATURE_MAGNITUDE, 'must be at least -1e150')
        .max(MAX_FEATURE_MAGNITUDE, 'must be at most 1e150'),
    )
    .length(features, `must have exactly ${features} numbers`);
}

const cache = new Map<
  string,
  { envelope: z.ZodType<{ X: unknown[] }>; row: z.ZodType<{ X: number[] }>; batch: z.ZodType<{ X: number[][] }> }
>();

function schemasFor(features: number, maxBatch: number) {
  const key = `${features}:${maxBatch}`;
  let schemas = cache.get(key);
  if (!schemas) {
    const row = rowSchema(features);
    schemas = {
      envelope: z.strictObject({
        X: z.array(z.unknown(), `must be one row of ${features} numbers or an array of such rows`),
      }),
      row: z.strictObject({ X: row }),
      batch: z.strictObject({
        X: z
          .array(row)
          .min(1, 'a batch needs at least one row')
          .max(maxBatch, `a batch holds at most ${maxBatch} rows`),
      }),
    };
    cache.set(key, schemas);
  }
  return schemas;
}

/**
 * Validates `{"X": row}` or `{"X": [row, …]}` (at most `maxBatch` rows) and returns the rows and
 * whether it was a batch. Errors name the field: `X.1.2: must be a finite number`.
 */
export function parsePredictBody(
  body: unknown,
  features: number,
  maxBatch: number,
): { rows: number[][]; batch: boolean } {
  const schemas = schemasFor(features, maxBatch);
  // A batch is an array whose first element is an array; anything else is checked as one row.
  // Valid requests are parsed once; only a refused one also pays for the envelope, whose message
  // (wrong shape, unknown field) comes before any row's.
  const X = typeof body === 'object' && body !== null ? (body as { X?: unknown }).X : undefined;
  const batch = Array.isArray(X) && Array.isArray(X[0]);
  // A valid body is accepted by the hand-written check below; zod then only explains refusals.
  if (onlyKeyIsX(body) && Array.isArray(X)) {
    if (batch ? X.length <= maxBatch && X.every((row) => isRow(row, features)) : isRow(X, features))
      return { rows: batch ? (X as number[][]) : [X as number[]], batch };
  }
  if (batch) return { rows: parseWithin(schemas.envelope, schemas.batch, body).X, batch };
  return { rows: [parseWithin(schemas.envelope, schemas.row, body).X], batch };
}

/**
 * The hot path's check of what zod's schemas accept, by hand: zod's generic walk over a 1,000-row
 * batch cost more than reading its JSON (~0.3 ms). Anything it does not accept goes on to zod,
 * whose error says what is wrong, so a refusal reads the same either way.
 */
function onlyKeyIsX(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  let keys = 0;
  for (const key in body) {
    if (key !== 'X' || !Object.prototype.hasOwnProperty.call(body, key)) return false;
    keys++;
  }
  return keys === 1;
}

/**
 * Exactly `features` numbers within ±MAX_FEATURE_MAGNITUDE, as the zod row schema demands (NaN and
 * ±Infinity fail the comparison too). The same bound in both: the fast path must never accept what
 * zod refuses.
 */
function isRow(row: unknown, features: number): boolean {
  if (!Array.isArray(row) || row.length !== features) return false;
  for (let j = 0; j < features; j++) {
    const value: unknown = row[j];
    if (typeof value !== 'number' || !(value >= -MAX_FEATURE_MAGNITUDE && value <= MAX_FEATURE_MAGNITUDE)) return false;
  }
  return true;
}

/** Parses with `schema`; when that fails, the envelope's error (if it fails too) is the one thrown. */
function parseWithin<T>(envelope: z.ZodType<unknown>, schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  parseOrThrow(envelope, body);
  throw invalidInput(result.error);
}

/** Parses with `schema` or throws a 400 that says which field is wrong and why. */
export function parseOrThrow<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw invalidInput(result.error);
}

function invalidInput(error: z.ZodError): ApiError {
  const details = error.issues
    .slice(0, 10)
    .map((issue) => ({ field: issue.path.length ? issue.path.join('.') : '(body)', problem: issue.message }));
  const first = details[0]!;
  return new ApiError('invalid_input', `${first.field}: ${first.problem}`, details);
}
