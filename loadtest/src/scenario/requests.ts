import type { ModelTarget, TrafficModels } from './discovery';
import type { RequestKind } from './types';

/**
 * What each request kind of the mix sends and what it must get back, shared by the k6 script and
 * the local runner so both send the same bytes and judge the answers by the same checks.
 *
 * This module runs inside k6 as well as Node: it has no imports but types (k6 loads each `.ts`
 * file without a bundler), and no Node or browser globals (the caller base64-encodes credentials
 * and supplies the random source: the Node runner passes `seededRandom` from model/src/random.ts for a
 * reproducible mix, k6 passes `Math.random`, so k6 needs no seeded generator of its own).
 *
 * Nothing here names a model, feature or class: the rows, widths and classes come from the API
 * under test, found once by discovery.ts (the k6 script's setup(), the runner before its first step).
 */

/**
 * Rows per batch /predict (at least: a batch also carries one row per class) and per Open Inference Protocol request.
 */
export const BATCH_ROWS = 10;
export const INFER_ROWS = 3;

/** One HTTP request, ready to send. */
export interface RequestSpec {
  kind: RequestKind;
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The one status this request must get; 4xx kinds count as expected responses, not failures. */
  expectedStatus: number;
  /** The classes of the model that answers it: a prediction must name one of them. */
  classes: readonly string[];
  /** Rows sent (predictions expected back). */
  rows: number;
  /** A batch's only: the answers must name every class of the model (it carries a row of each). */
  everyClass?: boolean;
}

/** What came back. `headers` keys are lower-case. */
export interface ResponseSeen {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** A named check and whether it held (names are the same in k6 and in the local runner). */
export interface CheckResult {
  name: string;
  ok: boolean;
}

/**
 * Judged answer: the checks, the predictions it carried (for the per-class/per-variant counters), and for a batch
 * whether its answers named every class of the model.
 */
export interface Judgement {
  checks: CheckResult[];
  predictions: { variant: string; classes: string[] } | undefined;
  everyClass?: boolean;
}

/** Every request kind, in the order reports list them. */
export const REQUEST_KINDS: readonly RequestKind[] = [
  'predict_single',
  'predict_batch',
  'predict_v2',
  'infer',
  'invalid_row',
  'malformed_json',
  'wrong_content_type',
];

/** The error code each invalid kind must get, as the API's error body names it. */
const EXPECTED_ERROR: Partial<Record<RequestKind, string>> = {
  invalid_row: 'invalid_input',
  malformed_json: 'malformed_json',
  wrong_content_type: 'unsupported_media_type',
};

function pickRow(target: ModelTarget, random: () => number): number[] {
  return target.rows[Math.floor(random() * target.rows.length) % target.rows.length]!;
}

function pickRows(target: ModelTarget, count: number, random: () => number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) rows.push(pickRow(target, random));
  return rows;
}

/** A batch for v1: a row of each class found (in random places), the rest drawn from v1's rows. */
function batchRows(models: TrafficModels, random: () => number): number[][] {
  const rows = pickRows(models.v1, Math.max(BATCH_ROWS - models.coverage.length, 0), random);
  for (const row of models.coverage) rows.splice(Math.floor(random() * (rows.length + 1)), 0, row);
  return rows;
}

/**
 * Builds the request for `kind`. `authorization` is the full header value (`Basic …`), built by
 * the caller with its own base64; `models` says which model each route reaches and what rows it takes.
 */
export function buildRequest(
  kind: RequestKind,
  authorization: string,
  random: () => number,
  models: TrafficModels,
): RequestSpec {
  const json = { 'Content-Type': 'application/json', Authorization: authorization };
  const { v1 } = models;
  const post = (
    path: string,
    body: string,
    shape: {
      classes?: readonly string[];
      rows?: number;
      expectedStatus?: number;
      headers?: Record<string, string>;
    } = {},
  ): RequestSpec => ({
    kind,
    method: 'POST',
    path,
    headers: shape.headers ?? json,
    body,
    expectedStatus: shape.expectedStatus ?? 200,
    classes: shape.classes ?? v1.classes,
    rows: shape.rows ?? 1,
  });
  const row = pickRow(v1, random);
  switch (kind) {
    case 'predict_single':
      return post('/predict', JSON.stringify({ X: row }));
    case 'predict_batch': {
      const rows = batchRows(models, random);
      return { ...post('/predict', JSON.stringify({ X: rows }), { rows: rows.length }), everyClass: true };
    }
    case 'predict_v2':
      return post('/predict', JSON.stringify({ X: pickRow(models.v2, random) }), {
        classes: models.v2.classes,
        headers: { ...json, 'X-Experiment-Group': 'debug' },
      });
    case 'infer': {
      const { infer } = models;
      const data: number[] = [];
      for (const r of pickRows(infer, INFER_ROWS, random)) data.push(...r);
      const body = JSON.stringify({
        inputs: [{ name: 'input', shape: [INFER_ROWS, infer.features.length], datatype: 'FP32', data }],
      });
      return post(`/v2/models/${infer.name}/infer`, body, { classes: infer.classes, rows: INFER_ROWS });
    }
    case 'invalid_row':
      // One value too many: wrong for every model, whatever its width.
      return post('/predict', JSON.stringify({ X: [...row, row[0] ?? 0] }), { expectedStatus: 400 });
    case 'malformed_json':
      return post('/predict', `{"X": [${row.join(', ')},`, { expectedStatus: 400 });
    case 'wrong_content_type':
      return post('/predict', `X=${row.join(',')}`, {
        expectedStatus: 415,
        headers: { 'Content-Type': 'text/plain', Authorization: authorization },
      });
  }
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The class names in a prediction answer to `spec`, or undefined unless it holds one of the model's classes per row
 * sent.
 */
function classesIn(spec: RequestSpec, body: Record<string, unknown>): string[] | undefined {
  const isClass = (value: unknown): value is string => typeof value === 'string' && spec.classes.includes(value);
  let labels: unknown[] | undefined;
  if (spec.kind === 'predict_single' || spec.kind === 'predict_v2') labels = [body.prediction];
  else if (spec.kind === 'predict_batch') {
    const list = body.predictions;
    labels = Array.isArray(list)
      ? list.map((p: unknown) => (typeof p === 'string' ? p : (p as { prediction?: unknown } | null)?.prediction))
      : undefined;
  } else if (spec.kind === 'infer') {
    const outputs = body.outputs;
    const data = Array.isArray(outputs)
      ? (outputs as Array<{ name?: unknown; data?: unknown }>).find((o) => o.name === 'label')?.data
      : undefined;
    labels = Array.isArray(data) ? data : undefined;
  }
  return labels && labels.length === spec.rows && labels.every(isClass) ? labels : undefined;
}

/** Judges an answer to `spec`: the status check, the body check, and the predictions it carried. */
export function judge(spec: RequestSpec, response: ResponseSeen): Judgement {
  const { kind } = spec;
  const body = parse(response.body);
  const statusOk = response.status === spec.expectedStatus;
  const checks: CheckResult[] = [{ name: `${kind}: status ${spec.expectedStatus}`, ok: statusOk }];
  const expectedError = EXPECTED_ERROR[kind];
  if (expectedError !== undefined) {
    const error = body?.error as { code?: unknown } | undefined;
    checks.push({ name: `${kind}: error code ${expectedError}`, ok: error?.code === expectedError });
    return { checks, predictions: undefined };
  }
  const classes = statusOk && body ? classesIn(spec, body) : undefined;
  const variant = response.headers['x-variant'] ?? (typeof body?.variant === 'string' ? body.variant : 'unknown');
  if (kind === 'predict_v2') {
    const detailed = body !== undefined && typeof body.probabilities === 'object' && body.probabilities !== null;
    checks.push({
      name: 'predict_v2: variant v2 with probabilities',
      ok: classes !== undefined && variant === 'v2' && detailed,
    });
  } else {
    checks.push({
      name: `${kind}: ${kind === 'predict_single' ? 'a known class' : 'one known class per row'}`,
      ok: classes !== undefined,
    });
  }
  const judgement: Judgement = { checks, predictions: classes ? { variant, classes } : undefined };
  if (spec.everyClass) judgement.everyClass = classes !== undefined && spec.classes.every((c) => classes.includes(c));
  return judgement;
}

/**
 * Returns a function that draws request kinds at random in proportion to `mix`'s weights.
 * Throws when no kind has a positive weight.
 */
export function weightedPicker(mix: Partial<Record<RequestKind, number>>, random: () => number): () => RequestKind {
  const entries = REQUEST_KINDS.map((kind) => [kind, mix[kind] ?? 0] as const).filter(([, weight]) => weight > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (entries.length === 0 || !(total > 0)) throw new Error('the request mix has no kind with a positive weight');
  return () => {
    let draw = random() * total;
    for (const [kind, weight] of entries) {
      draw -= weight;
      if (draw < 0) return kind;
    }
    return entries[entries.length - 1]![0];
  };
}
