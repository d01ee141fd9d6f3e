import type { ResponseSeen } from './requests';

/**
 * Finds out, from the API under test, what its load traffic sends: the served models' features and
 * classes (GET /models), which model answers /predict with and without the debug header, and real
 * rows for each class. Shared by the k6 script's setup() and the local runner, so it does no I/O:
 * the caller sends each request `next()` gives and hands the answer to `answer()` (k6 with its
 * synchronous http, Node with fetch). Like requests.ts, it imports only types and uses no Node or
 * browser globals.
 *
 * The API publishes no example rows, means or ranges, and /models does not say which model is the
 * default. So: a row of zeros as wide as each listed model (the API takes any finite numbers) finds
 * the model /predict answers; the debug variant's answers carry each row's nearest training rows
 * ("neighbours", in the caller's units), which are real rows of the data; and a few rounds of
 * queries (at the rows found, and just past their range along each feature) reach the other
 * classes. The default model then classifies every row found, so each row is known to be one the
 * default model predicts as its class.
 */

/** A served model as GET /models lists it. */
export interface ListedModel {
  name: string;
  features: string[];
  classes: string[];
}

/** A model that one route of the traffic reaches, and rows to send it. */
export interface ModelTarget extends ListedModel {
  /** Rows in the caller's units: real rows when discovery found them, else one row of zeros. */
  rows: number[][];
}

/** What the request builders need to know about the API under test. */
export interface TrafficModels {
  /** The model /predict answers without X-Experiment-Group (single, batch and invalid requests). */
  v1: ModelTarget;
  /** The model X-Experiment-Group: debug selects (predict_v2). */
  v2: ModelTarget;
  /** The model the Open Inference Protocol requests name. */
  infer: ModelTarget;
  /** One row per class of v1's model that v1 predicts as that class (those found); every batch carries them. */
  coverage: number[][];
  /** What discovery could not find, one sentence each (the runners print them). */
  notes: string[];
}

/** One request of the discovery; its answer goes back to {@link ModelDiscovery.answer}. */
export interface DiscoveryCall {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Rounds of queries at most, and rows per request: bounded whatever the model. */
const MAX_ROUNDS = 8;
const MAX_ROWS = 64;
/** Rows per class that the traffic sends (v1's rows). */
const ROWS_PER_CLASS = 4;

type Phase = 'models' | 'v1' | 'v2' | 'classify' | 'explore' | 'done';

const zeros = (width: number): number[] => new Array<number>(width).fill(0);
const sameFeatures = (a: ListedModel, b: ListedModel): boolean => a.features.join('\n') === b.features.join('\n');
/** Neighbours come back unstandardized (3.3000000000000003): 12 significant digits read as the data did. */
const tidy = (row: number[]): number[] => row.map((v) => Number(v.toPrecision(12)));

// The same few lines as requests.ts's parse, on purpose: k6 loads both files, and a value import
// between them would have to name the `.ts` file, which the repository's TypeScript settings refuse.
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

/** The models GET /models lists; throws when there are none or their shape is not the API's. */
function listedModels(body: Record<string, unknown> | undefined, text: string): ListedModel[] {
  const models = body?.models;
  const valid = (m: unknown): m is ListedModel => {
    const { name, features, classes } = (m ?? {}) as Partial<ListedModel>;
    return (
      typeof name === 'string' &&
      Array.isArray(features) &&
      features.length > 0 &&
      Array.isArray(classes) &&
      classes.length > 0
    );
  };
  if (!Array.isArray(models) || models.length === 0 || !models.every(valid))
    throw new Error(`GET /models listed no model with features and classes: ${text.slice(0, 200)}`);
  return models.map((m) => ({ name: m.name, features: m.features, classes: m.classes }));
}

/** The labels of a batch answer, v1's plain list or v2's detailed predictions. */
function labelsOf(body: Record<string, unknown> | undefined): unknown[] {
  const list = body?.predictions;
  return Array.isArray(list)
    ? list.map((p: unknown) => (typeof p === 'string' ? p : (p as { prediction?: unknown } | null)?.prediction))
    : [];
}

/** The neighbours' rows of a debug answer (one detailed prediction, or a batch of them). */
function neighbourRows(body: Record<string, unknown> | undefined, width: number): number[][] {
  const detailed = Array.isArray(body?.predictions) ? (body.predictions as unknown[]) : [body];
  const rows: number[][] = [];
  for (const d of detailed) {
    const neighbours = (d as { neighbours?: unknown } | null)?.neighbours;
    if (!Array.isArray(neighbours)) continue;
    for (const n of neighbours) {
      const row = (n as { features?: unknown } | null)?.features;
      if (Array.isArray(row) && row.length === width && row.every((v) => typeof v === 'number' && Number.isFinite(v)))
        rows.push(tidy(row as number[]));
    }
  }
  return rows;
}

/**
 * Queries for the next round: past the rows' range along each feature, both ways, by `reach` times
 * the range (each round reaches twice as far), then rows not yet asked about.
 */
function nextQueries(rows: number[][], asked: Set<string>, reach: number): number[][] {
  const width = rows[0]!.length;
  const low: number[] = [];
  const high: number[] = [];
  for (let j = 0; j < width; j++) {
    low.push(Math.min(...rows.map((r) => r[j]!)));
    high.push(Math.max(...rows.map((r) => r[j]!)));
  }
  const middle = low.map((l, j) => (l + high[j]!) / 2);
  const queries: number[][] = [];
  for (let j = 0; j < width; j++) {
    const span = high[j]! - low[j]! || Math.abs(high[j]!) || 1;
    for (const end of [low[j]! - reach * span, high[j]! + reach * span]) {
      const query = middle.slice();
      query[j] = end;
      queries.push(tidy(query));
    }
  }
  for (const row of rows) if (!asked.has(row.join()) && queries.length < MAX_ROWS) queries.push(row);
  return queries.filter((q) => !asked.has(q.join())).slice(0, MAX_ROWS);
}

/**
 * Drives the discovery: `next()` until it returns undefined, `answer()` after each; then `result()`. Throws one line
 * when the target cannot be load-tested.
 */
export class ModelDiscovery {
  private phase: Phase = 'models';
  private readonly json: Record<string, string>;
  private listed: ListedModel[] = [];
  private widths: number[] = [];
  private tried = 0;
  private v1: ListedModel | undefined;
  private v2: ListedModel | undefined;
  private readonly found = new Map<string, number[]>();
  private readonly asked = new Set<string>();
  private fresh: number[][] = [];
  private queries: number[][] = [];
  private round = 0;
  private readonly byClass = new Map<string, number[][]>();
  private readonly notes: string[] = [];
  private readonly inferModel: string | undefined;

  /** `authorization`: the full header value; `inferModel`: the model OIP requests name (default: v1's). */
  constructor(authorization: string, inferModel?: string) {
    this.json = { 'Content-Type': 'application/json', Authorization: authorization };
    this.inferModel = inferModel;
  }

  next(): DiscoveryCall | undefined {
    const post = (rows: number[][] | number[], debug: boolean): DiscoveryCall => ({
      method: 'POST',
      path: '/predict',
      headers: debug ? { ...this.json, 'X-Experiment-Group': 'debug' } : this.json,
      body: JSON.stringify({ X: rows }),
    });
    switch (this.phase) {
      case 'models':
        return { method: 'GET', path: '/models', headers: { Authorization: this.json.Authorization! } };
      case 'v1':
      case 'v2':
        return post(zeros(this.widths[this.tried]!), this.phase === 'v2');
      case 'classify':
        return post(this.fresh, false);
      case 'explore':
        return post(this.queries, true);
      case 'done':
        return undefined;
    }
  }

  answer(response: ResponseSeen): void {
    const call = this.next();
    if (!call) return;
    const body = parse(response.body);
    const what =
      `${call.method} ${call.path}` + `${call.headers['X-Experiment-Group'] ? ' (X-Experiment-Group: debug)' : ''}`;
    const refused = (): Error =>
      new Error(
        `${what} answered ${response.status || 'nothing'} during model discovery: ${response.body.slice(0, 200)}`,
      );
    if (this.phase === 'models') {
      if (response.status !== 200) throw refused();
      this.listed = listedModels(body, response.body);
      this.widths = [...new Set(this.listed.map((m) => m.features.length))];
      this.phase = 'v1';
      return;
    }
    if (this.phase === 'v1' || this.phase === 'v2') return this.probed(response.status, body, refused);
    if (response.status !== 200) throw refused();
    if (this.phase === 'classify') this.classified(labelsOf(body));
    else this.explored(neighbourRows(body, this.v1!.features.length));
  }

  /** A row of zeros answered: 400 means another width; 200 names the model of the variant. */
  private probed(status: number, body: Record<string, unknown> | undefined, refused: () => Error): void {
    if (status === 400 && this.tried + 1 < this.widths.length) {
      this.tried++;
      return;
    }
    const model = status === 200 ? this.listed.find((m) => m.name === body?.model) : undefined;
    if (!model)
      throw status === 200
        ? new Error(`/predict answered for model ${JSON.stringify(body?.model)}, which GET /models does not list`)
        : refused();
    this.tried = 0;
    if (this.phase === 'v1') {
      this.v1 = model;
      // The debug variant's model is tried at v1's width first.
      this.widths = [model.features.length, ...this.widths.filter((w) => w !== model.features.length)];
      this.phase = 'v2';
      return;
    }
    this.v2 = model;
    if (!sameFeatures(this.v1!, model)) {
      this.notes.push(
        `the debug variant serves ${model.name}, whose features differ from ${this.v1!.name}'s: ${this.v1!.name} ` +
          `gets a row of zeros and no rows of its classes`,
      );
      this.phase = 'done';
      return;
    }
    this.explored(neighbourRows(body, model.features.length));
  }

  /** New rows from the neighbours of the last queries: v1 classifies them next. */
  private explored(rows: number[][]): void {
    for (const q of this.queries) this.asked.add(q.join());
    this.fresh = [];
    for (const row of rows) {
      const key = row.join();
      if (this.found.has(key) || this.fresh.length >= MAX_ROWS) continue;
      this.found.set(key, row);
      this.fresh.push(row);
    }
    if (this.fresh.length) this.phase = 'classify';
    else this.nextRound();
  }

  /** v1's labels for the fresh rows. */
  private classified(labels: unknown[]): void {
    this.fresh.forEach((row, i) => {
      const label = labels[i];
      if (typeof label !== 'string' || !this.v1!.classes.includes(label)) return;
      const rows = this.byClass.get(label) ?? [];
      if (rows.length < ROWS_PER_CLASS) this.byClass.set(label, [...rows, row]);
    });
    this.nextRound();
  }

  /** Another round of queries while a class has no row, at most MAX_ROUNDS. */
  private nextRound(): void {
    this.round++;
    const more = this.found.size > 0 && this.byClass.size < this.v1!.classes.length && this.round < MAX_ROUNDS;
    this.queries = more ? nextQueries([...this.found.values()], this.asked, 2 ** (this.round - 1)) : [];
    this.phase = this.queries.length ? 'explore' : 'done';
  }

  /** The traffic's targets; call once `next()` has returned undefined. */
  result(): TrafficModels {
    const v1 = this.v1!;
    const v2 = this.v2!;
    const classRows = v1.classes.flatMap((c) => this.byClass.get(c) ?? []);
    const missing = v1.classes.filter((c) => !this.byClass.has(c));
    if (missing.length && sameFeatures(v1, v2)) {
      this.notes.push(
        `no row found that ${v1.name} predicts as ${missing.join(', ')} (${this.found.size} rows tried): batches ` +
          `cannot name every class`,
      );
    }
    const target = (model: ListedModel): ModelTarget => ({
      ...model,
      rows: classRows.length && sameFeatures(model, v1) ? classRows : [zeros(model.features.length)],
    });
    const inferName = this.inferModel || v1.name;
    const infer = this.listed.find((m) => m.name === inferName);
    if (!infer)
      throw new Error(
        `the model ${inferName} for the Open Inference Protocol requests is not served here; GET /models lists ` +
          `${this.listed.map((m) => m.name).join(', ')}`,
      );
    const coverage = v1.classes.flatMap((c) => this.byClass.get(c)?.slice(0, 1) ?? []);
    return { v1: target(v1), v2: target(v2), infer: target(infer), coverage, notes: this.notes };
  }
}
