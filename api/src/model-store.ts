import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelArtifact } from '../../model/src/artifact';
import { algorithmOf, loadInputOf } from '../../model/src/artifact';
import type { MetricsFile } from '../../model/src/registry-files';
import { readMetrics, versionDir } from '../../model/src/registry-files';
import type { LoadInput, Predictor } from '../../model/src/algorithms/port';
import { loadPromoted } from '../../model/src/registry';

/** What a predictor is loaded from: enough for the batch thread to load its own. */
export interface Loadable {
  algorithm: string;
  input: LoadInput<unknown, unknown>;
}

/** One verified model, ready to serve. */
export interface ServedModel {
  name: string;
  version: string;
  /** The algorithm's name (the OIP platform and `/models` say it). */
  algorithm: string;
  /** The algorithm's hyperparameters as `/models` shows them. */
  fields: Record<string, string | number>;
  featureNames: string[];
  classNames: string[];
  /** The training split's standardization: the drift metric reads rows through it. */
  mean: number[];
  std: number[];
  predictor: Predictor;
  loadable: Loadable;
  metrics: MetricsFile;
  card: string;
  trainingClassShares: Record<string, number>;
  sha256: string;
}

/** Loads and verifies the promoted version of `name`; throws the artifact error naming the file at fault. */
export function loadServedModel(modelDir: string, name: string): ServedModel {
  const artifact: ModelArtifact = loadPromoted(modelDir, name);
  const dir = versionDir(modelDir, name, artifact.version);
  const { dataset, preprocessing } = artifact;
  const algorithm = algorithmOf(artifact);
  const input = loadInputOf(artifact);
  const rows = Object.values(dataset.classCounts).reduce((a, b) => a + b, 0);
  return {
    name,
    version: artifact.version,
    algorithm: algorithm.name,
    fields: algorithm.describe(artifact.hyperparameters, artifact.scores, artifact.software).fields,
    featureNames: dataset.featureNames,
    classNames: dataset.classNames,
    mean: preprocessing.mean,
    std: preprocessing.std,
    predictor: algorithm.load(input),
    loadable: { algorithm: algorithm.name, input },
    metrics: readMetrics(join(dir, 'metrics.json')),
    card: readFileSync(join(dir, 'model-card.md'), 'utf8'),
    trainingClassShares: Object.fromEntries(dataset.classNames.map((c) => [c, (dataset.classCounts[c] ?? 0) / rows])),
    sha256: artifact.sha256,
  };
}

/**
 * The models this process serves, by name. `reload` verifies every new version before swapping
 * any in, so a corrupt promotion leaves the old models serving.
 */
export class ModelStore {
  private models = new Map<string, ServedModel>();

  constructor(
    private readonly modelDir: string,
    readonly names: readonly string[],
  ) {}

  /** Loads every model; throws on the first one that is missing or corrupt. */
  load(): void {
    const next = new Map<string, ServedModel>();
    for (const name of new Set(this.names)) next.set(name, loadServedModel(this.modelDir, name));
    this.models = next;
  }

  /** Same as load: all or nothing. Returns the names whose version changed. */
  reload(): string[] {
    const before = new Map([...this.models].map(([name, m]) => [name, m.version]));
    this.load();
    return [...this.models.values()].filter((m) => before.get(m.name) !== m.version).map((m) => m.name);
  }

  get ready(): boolean {
    return this.models.size > 0;
  }

  get(name: string): ServedModel | undefined {
    return this.models.get(name);
  }

  all(): ServedModel[] {
    return [...this.models.values()];
  }
}

/** One row's detailed answer (variant v2): the prediction, class probabilities and the algorithm's evidence. */
export type DetailedPrediction = { prediction: string; probabilities: Record<string, number> } & Record<string, unknown>;

/** Predicts class names for raw rows. */
export function predictLabels(model: ServedModel, rows: readonly number[][]): string[] {
  return rows.map((row) => model.classNames[model.predictor.predict(row)] as string);
}

/** Predicts with class probabilities and whatever evidence the algorithm gives (in the caller's units). */
export function predictDetailed(model: ServedModel, rows: readonly number[][]): DetailedPrediction[] {
  return rows.map((row) => {
    const { label, probabilities, evidence } = model.predictor.explain(row);
    return {
      prediction: model.classNames[label] as string,
      probabilities: Object.fromEntries(model.classNames.map((c, i) => [c, probabilities[i] ?? 0])),
      ...evidence,
    };
  });
}
