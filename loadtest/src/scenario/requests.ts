import type { RequestKind } from './types';

/**
 * What each request kind of the mix sends and what it must get back, shared by the k6 script and
 * the local runner so both send the same bytes and judge the answers by the same checks.
 *
 * This module runs inside k6 as well as Node: it has no imports but types (k6 loads each `.ts`
 * file without a bundler), and no Node or browser globals (the caller base64-encodes credentials
 * and supplies the random source: the Node runner passes `seededRandom` from model/src/random.ts for a
 * reproducible mix, k6 passes `Math.random`, so k6 needs no seeded generator of its own).
 */

/** The Iris classes the default models predict. */
export const CLASSES = ['setosa', 'versicolor', 'virginica'] as const;

/** Real Iris rows, a few per class, so every class gets predicted under load. */
const ROWS: number[][] = [
  [5.1, 3.5, 1.4, 0.2],
  [4.9, 3.0, 1.4, 0.2],
  [5.4, 3.9, 1.7, 0.4],
  [5.9, 3.0, 4.2, 1.5],
  [6.4, 3.2, 4.5, 1.5],
  [5.5, 2.4, 3.8, 1.1],
  [6.7, 3.0, 5.2, 2.3],
  [6.3, 3.3, 6.0, 2.5],
  [7.2, 3.6, 6.1, 2.5],
];

/** Rows per batch /predict and per Open Inference Protocol request. */
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

/** Judged answer: the checks, and the predictions it carried (for the per-class/per-variant counters). */
export interface Judgement {
  checks: CheckResult[];
  predictions: { variant: string; classes: string[] } | undefined;
}

/** Every request kind, in the order reports list them. */
export const REQUEST_KINDS: readonly RequestKind[] = ['predict_single', 'predict_batch', 'predict_v2', 'infer', 'invalid_row', 'malformed_json', 'wrong_content_type'];

/** The error code each invalid kind must get, as the API's error body names it. */
const EXPECTED_ERROR: Partial<Record<RequestKind, string>> = {
  invalid_row: 'invalid_input',
  malformed_json: 'malformed_json',
  wrong_content_type: 'unsupported_media_type',
};

function pickRow(random: () => number): number[] {
  return ROWS[Math.floor(random() * ROWS.length) % ROWS.length]!;
}

function pickRows(count: number, random: () => number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) rows.push(pickRow(random));
  return rows;
}

/**
 * Builds the request for `kind`. `authorization` is the full header value (`Basic …`), built by
 * the caller with its own base64; `model` is the model the Open Inference Protocol route names.
 */
export function buildRequest(kind: RequestKind, authorization: string, random: () => number, model = 'M1'): RequestSpec {
  const json = { 'Content-Type': 'application/json', Authorization: authorization };
  const post = (path: string, body: string, expectedStatus = 200, headers: Record<string, string> = json): RequestSpec => ({ kind, method: 'POST', path, headers, body, expectedStatus });
  switch (kind) {
    case 'predict_single':
      return post('/predict', JSON.stringify({ X: pickRow(random) }));
    case 'predict_batch':
      return post('/predict', JSON.stringify({ X: pickRows(BATCH_ROWS, random) }));
    case 'predict_v2':
      return post('/predict', JSON.stringify({ X: pickRow(random) }), 200, { ...json, 'X-Experiment-Group': 'debug' });
    case 'infer': {
      const rows = pickRows(INFER_ROWS, random);
      const data: number[] = [];
      for (const row of rows) data.push(...row);
      return post(`/v2/models/${model}/infer`, JSON.stringify({ inputs: [{ name: 'input', shape: [INFER_ROWS, 4], datatype: 'FP32', data }] }));
    }
    case 'invalid_row':
      return post('/predict', JSON.stringify({ X: pickRow(random).slice(0, 3) }), 400);
    case 'malformed_json':
      return post('/predict', '{"X": [5.1, 3.5,', 400);
    case 'wrong_content_type':
      return post('/predict', 'X=5.1,3.5,1.4,0.2', 415, { 'Content-Type': 'text/plain', Authorization: authorization });
  }
}

function parse(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isClass = (value: unknown): value is string => typeof value === 'string' && (CLASSES as readonly string[]).includes(value);

/** The class names in a prediction answer of `kind`, or undefined when the body does not hold them. */
function classesIn(kind: RequestKind, body: Record<string, unknown>): string[] | undefined {
  if (kind === 'predict_single' || kind === 'predict_v2') return isClass(body.prediction) ? [body.prediction] : undefined;
  if (kind === 'predict_batch') {
    const list = body.predictions;
    if (!Array.isArray(list) || list.length !== BATCH_ROWS) return undefined;
    const classes = list.map((p: unknown) => (typeof p === 'string' ? p : (p as { prediction?: unknown } | null)?.prediction));
    return classes.every(isClass) ? (classes) : undefined;
  }
  if (kind === 'infer') {
    const outputs = body.outputs;
    const label = Array.isArray(outputs) ? (outputs as Array<{ name?: unknown; data?: unknown }>).find((o) => o.name === 'label') : undefined;
    const data = label?.data;
    return Array.isArray(data) && data.length === INFER_ROWS && data.every(isClass) ? (data) : undefined;
  }
  return undefined;
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
  const classes = statusOk && body ? classesIn(kind, body) : undefined;
  const variant = response.headers['x-variant'] ?? (typeof body?.variant === 'string' ? body.variant : 'unknown');
  if (kind === 'predict_v2') {
    const detailed = body !== undefined && typeof body.probabilities === 'object' && body.probabilities !== null;
    checks.push({ name: 'predict_v2: variant v2 with probabilities', ok: classes !== undefined && variant === 'v2' && detailed });
  } else {
    checks.push({ name: `${kind}: ${kind === 'predict_single' ? 'a known class' : 'one known class per row'}`, ok: classes !== undefined });
  }
  return { checks, predictions: classes ? { variant, classes } : undefined };
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
