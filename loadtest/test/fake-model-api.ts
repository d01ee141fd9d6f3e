/**
 * A stand-in for the API's prediction routes, in process and synchronous, for the tests that drive
 * the model discovery and the k6 script without a server: GET /models, POST /predict (v1, and v2
 * with neighbours under X-Experiment-Group: debug) and OIP infer, answered as the API answers them,
 * with a 3-nearest-neighbour vote over a handful of training rows. Not Iris: three features.
 */
import { ModelDiscovery } from '../src/scenario/discovery';
import type { TrafficModels } from '../src/scenario/discovery';

/** The documented dev user's Authorization header. */
export const ALICE = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;

export interface FakeModel {
  name: string;
  features: string[];
  classes: string[];
  /** Training rows and their labels. */
  data: Array<[number[], string]>;
}

/** A penguins-like model on three features (no Iris class, not Iris's width). */
export const PENGUINS: FakeModel = {
  name: 'P3',
  features: ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm'],
  classes: ['Adelie', 'Chinstrap', 'Gentoo'],
  data: [
    [[38.8, 18.3, 190], 'Adelie'],
    [[37.9, 18.6, 189], 'Adelie'],
    [[39.5, 17.4, 186], 'Adelie'],
    [[48.8, 18.4, 196], 'Chinstrap'],
    [[49.6, 18.2, 193], 'Chinstrap'],
    [[50.5, 19.6, 201], 'Chinstrap'],
    [[47.5, 15.0, 217], 'Gentoo'],
    [[49.5, 15.9, 221], 'Gentoo'],
    [[46.1, 13.2, 211], 'Gentoo'],
  ],
};

export interface FakeCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | null;
}

export interface FakeAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const K = 3;

function nearest(model: FakeModel, row: number[]): Array<{ label: string; distance: number; features: number[] }> {
  return model.data
    .map(([features, label]) => ({ label, features, distance: Math.hypot(...features.map((v, j) => v - row[j]!)) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, K);
}

function predict(
  model: FakeModel,
  row: number[],
): { prediction: string; probabilities: Record<string, number>; neighbours: ReturnType<typeof nearest> } {
  const neighbours = nearest(model, row);
  const probabilities = Object.fromEntries(
    model.classes.map((c) => [c, neighbours.filter((n) => n.label === c).length / K]),
  );
  const prediction = model.classes.reduce(
    (best, c) => (probabilities[c]! > probabilities[best]! ? c : best),
    model.classes[0]!,
  );
  return { prediction, probabilities, neighbours };
}

const isRow = (row: unknown, width: number): row is number[] =>
  Array.isArray(row) && row.length === width && row.every((v) => typeof v === 'number' && Number.isFinite(v));

/** An API serving `v1` (and `v2` under the debug header; default the same model) to one user, `name:password`. */
export function fakeApi(
  v1: FakeModel,
  v2: FakeModel = v1,
  credentials = 'alice:wonderland',
): (call: FakeCall) => FakeAnswer {
  const auth = `Basic ${Buffer.from(credentials).toString('base64')}`;
  const served = [...new Map([v1, v2].map((m) => [m.name, m])).values()];
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): FakeAnswer => ({
    status,
    body: JSON.stringify(body),
    headers,
  });
  const error = (status: number, code: string): FakeAnswer => json(status, { error: { code, message: code } });
  return (call) => {
    const header = (name: string): string | undefined =>
      Object.entries(call.headers).find(([k]) => k.toLowerCase() === name)?.[1];
    if (header('authorization') !== auth) return error(401, 'unauthorized');
    if (call.method === 'GET' && call.path === '/models')
      return json(200, { models: served.map(({ name, features, classes }) => ({ name, features, classes })) });
    if (header('content-type') !== 'application/json') return error(415, 'unsupported_media_type');
    let body: { X?: unknown; inputs?: Array<{ shape: number[]; data: number[] }> };
    try {
      body = JSON.parse(call.body ?? '') as typeof body;
    } catch {
      return error(400, 'malformed_json');
    }
    const infer = /^\/v2\/models\/([^/]+)\/infer$/.exec(call.path);
    if (infer) {
      const model = served.find((m) => m.name === infer[1]);
      if (!model) return error(404, 'not_found');
      const [count, width] = body.inputs![0]!.shape as [number, number];
      if (width !== model.features.length) return error(400, 'invalid_input');
      const rows = Array.from({ length: count }, (_, i) => body.inputs![0]!.data.slice(i * width, (i + 1) * width));
      return json(
        200,
        {
          model_name: model.name,
          outputs: [
            { name: 'label', datatype: 'BYTES', shape: [count], data: rows.map((r) => predict(model, r).prediction) },
          ],
        },
        { 'X-Variant': 'v1' },
      );
    }
    const debug = header('x-experiment-group') === 'debug';
    const model = debug ? v2 : v1;
    const X = body.X;
    const batch = Array.isArray(X) && Array.isArray(X[0]);
    const rows = batch ? (X as unknown[]) : [X];
    if (!rows.every((r) => isRow(r, model.features.length))) return error(400, 'invalid_input');
    const answers = rows.map((r) => predict(model, r));
    const variant = debug ? 'v2' : 'v1';
    const head = { model: model.name, version: 'fake', variant };
    const out = debug ? answers : answers.map((a) => a.prediction);
    return json(
      200,
      batch ? { ...head, predictions: out } : debug ? { ...head, ...answers[0] } : { ...head, prediction: out[0] },
      { 'X-Variant': variant },
    );
  };
}

/** Runs the model discovery against `api` as the runners do; the models found and the requests it took. */
export function discoverWith(
  api: (call: FakeCall) => FakeAnswer,
  authorization = ALICE,
  inferModel?: string,
): { models: TrafficModels; calls: FakeCall[] } {
  const discovery = new ModelDiscovery(authorization, inferModel);
  const calls: FakeCall[] = [];
  for (let call = discovery.next(); call; call = discovery.next()) {
    calls.push(call);
    discovery.answer(api(call));
  }
  return { models: discovery.result(), calls };
}
