/** Iris rows the trained models classify as setosa, versicolor and virginica. */
export const IRIS_ROWS: number[][] = [
  [5.1, 3.5, 1.4, 0.2],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
];

/** The development credentials docs/api.md documents. */
const ALICE = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;
const WRONG = `Basic ${Buffer.from('alice:not-the-password').toString('base64')}`;

/** One API replica to drive: where it listens and which model its own variant serves. */
export interface ApiTarget {
  baseUrl: string;
  variant: 'v1' | 'v2';
  model: string;
}

/** What the traffic produced, seen from the client side. */
export interface Coverage {
  statuses: Set<number>;
  /** `<variant>:<class>` for every predicted label (X-Variant header of the response). */
  classesByVariant: Set<string>;
  /** Requests per path template that got an answer below 500. */
  routes: Map<string, number>;
  /** Unexpected answers (5xx, or a status the request was not meant to get). */
  problems: string[];
}

/** An empty coverage record. */
export function newCoverage(): Coverage {
  return { statuses: new Set(), classesByVariant: new Set(), routes: new Map(), problems: [] };
}

interface Call {
  route: string;
  method?: 'GET' | 'POST';
  path: string;
  auth?: string;
  body?: unknown;
  headers?: Record<string, string>;
  expect: number;
}

async function call(base: string, c: Call, coverage: Coverage): Promise<Response> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.auth) headers.authorization = c.auth;
  if (c.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${c.path}`, {
    method: c.method ?? 'GET',
    headers,
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  coverage.statuses.add(response.status);
  if (response.status < 500) coverage.routes.set(c.route, (coverage.routes.get(c.route) ?? 0) + 1);
  if (response.status !== c.expect)
    coverage.problems.push(`${c.method ?? 'GET'} ${base}${c.path}: ${response.status}, expected ${c.expect}`);
  return response;
}

/** The predicted labels of a /predict answer (single or batch, plain or detailed) or an /infer answer. */
export function predictedLabels(body: unknown): string[] {
  const answer = body as {
    prediction?: unknown;
    predictions?: unknown[];
    outputs?: Array<{ name: string; data: unknown[] }>;
  };
  const label = (item: unknown): string =>
    String(typeof item === 'object' && item !== null ? (item as { prediction: unknown }).prediction : item);
  if (answer.outputs) return (answer.outputs.find((o) => o.name === 'label')?.data ?? []).map(String);
  if (answer.predictions) return answer.predictions.map(label);
  return answer.prediction === undefined ? [] : [label(answer.prediction)];
}

/** Records the predicted classes of a /predict or /infer answer under the variant that served it. */
async function recordClasses(response: Response, coverage: Coverage): Promise<void> {
  if (response.status !== 200) return;
  const variant = response.headers.get('x-variant') ?? '?';
  for (const cls of predictedLabels(await response.json())) coverage.classesByVariant.add(`${variant}:${cls}`);
}

/**
 * One round over every route of the API on one replica: health, models, scores, predictions (single,
 * batch, the experiment header), the Open Inference Protocol, docs, plus a 401, a 400 and a 404.
 */
export async function driveRound(target: ApiTarget, coverage: Coverage): Promise<void> {
  const base = target.baseUrl;
  const m = target.model;
  const plain: Call[] = [
    { route: '/status', path: '/status', expect: 200 },
    { route: '/healthz', path: '/healthz', expect: 200 },
    { route: '/readyz', path: '/readyz', expect: 200 },
    { route: '/models', path: '/models', auth: ALICE, expect: 200 },
    { route: '/models/:name', path: `/models/${m}`, auth: ALICE, expect: 200 },
    { route: '/M1', path: '/M1', auth: ALICE, expect: 200 },
    { route: '/M2', path: '/M2', auth: ALICE, expect: 200 },
    { route: '/v2', path: '/v2', expect: 200 },
    { route: '/v2/health/live', path: '/v2/health/live', expect: 200 },
    { route: '/v2/health/ready', path: '/v2/health/ready', expect: 200 },
    { route: '/v2/models/:name', path: `/v2/models/${m}`, expect: 200 },
    { route: '/v2/models/:name/ready', path: `/v2/models/${m}/ready`, expect: 200 },
    { route: '/openapi.json', path: '/openapi.json', expect: 200 },
    { route: '/docs', path: '/docs/', expect: 200 },
    { route: 'unmatched', path: '/no-such-route', expect: 404 },
    { route: '/predict', method: 'POST', path: '/predict', body: { X: IRIS_ROWS[0] }, expect: 401 },
    { route: '/predict', method: 'POST', path: '/predict', auth: WRONG, body: { X: IRIS_ROWS[0] }, expect: 401 },
    { route: '/predict', method: 'POST', path: '/predict', auth: ALICE, body: { X: [1, 2] }, expect: 400 },
  ];
  for (const c of plain) await call(base, c, coverage);

  const predictions: Call[] = [
    { route: '/predict', method: 'POST', path: '/predict', auth: ALICE, body: { X: IRIS_ROWS }, expect: 200 },
    { route: '/predict', method: 'POST', path: '/predict', auth: ALICE, body: { X: IRIS_ROWS[1] }, expect: 200 },
    {
      route: '/predict',
      method: 'POST',
      path: '/predict',
      auth: ALICE,
      body: { X: IRIS_ROWS },
      headers: { 'x-experiment-group': 'debug' },
      expect: 200,
    },
    {
      route: '/v2/models/:name/infer',
      method: 'POST',
      path: `/v2/models/${m}/infer`,
      auth: ALICE,
      body: { inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 4], data: IRIS_ROWS.flat() }] },
      expect: 200,
    },
  ];
  for (const c of predictions) await recordClasses(await call(base, c, coverage), coverage);
}

/** Requests through the edge (nginx), with and without the experiment header. */
export async function driveEdge(edgeUrl: string, coverage: Coverage): Promise<void> {
  await call(edgeUrl, { route: '/status', path: '/status', expect: 200 }, coverage);
  const headerSets: Array<Record<string, string>> = [{}, { 'x-experiment-group': 'debug' }];
  for (const headers of headerSets) {
    const response = await call(
      edgeUrl,
      {
        route: '/predict',
        method: 'POST',
        path: '/predict',
        auth: ALICE,
        body: { X: IRIS_ROWS },
        headers,
        expect: 200,
      },
      coverage,
    );
    await recordClasses(response, coverage);
  }
}

/** Sends authenticated requests until the per-user limit answers 429 (at most `max` requests). */
export async function driveUntilRateLimited(target: ApiTarget, coverage: Coverage, max = 500): Promise<boolean> {
  for (let i = 0; i < max; i++) {
    const response = await fetch(`${target.baseUrl}/models`, {
      headers: { authorization: ALICE },
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    coverage.statuses.add(response.status);
    if (response.status === 429) return true;
  }
  return false;
}
