import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KnnModelJson } from 'ml-knn';
import type { MetricsFile, ModelArtifact } from '../../model/src/artifact';
import type { DistanceName } from '../../model/src/knn-fit';
import { readMetrics, versionDir } from '../../model/src/artifact';
import { KnnKernel } from '../../model/src/knn';
import { standardizeInto, unstandardizeRow } from '../../model/src/preprocess';
import { loadPromoted } from '../../model/src/registry';

/** One verified model, ready to serve. */
export interface ServedModel {
  name: string;
  version: string;
  featureNames: string[];
  classNames: string[];
  k: number;
  distance: string;
  mean: number[];
  std: number[];
  kernel: KnnKernel;
  /** What the kernel was built from: the artifact's ml-knn JSON and metric (the batch thread builds its own). */
  knn: { model: KnnModelJson; distance: DistanceName };
  metrics: MetricsFile;
  card: string;
  trainingClassShares: Record<string, number>;
  sha256: string;
}

/** Loads and verifies the promoted version of `name`; throws the artifact error naming the file at fault. */
export function loadServedModel(modelDir: string, name: string): ServedModel {
  const artifact: ModelArtifact = loadPromoted(modelDir, name);
  const dir = versionDir(modelDir, name, artifact.version);
  const { dataset, preprocessing, hyperparameters } = artifact;
  const rows = Object.values(dataset.classCounts).reduce((a, b) => a + b, 0);
  return {
    name,
    version: artifact.version,
    featureNames: dataset.featureNames,
    classNames: dataset.classNames,
    k: hyperparameters.k,
    distance: hyperparameters.distance,
    mean: preprocessing.mean,
    std: preprocessing.std,
    kernel: new KnnKernel(artifact.model, hyperparameters.distance, dataset.featureNames.length),
    knn: { model: artifact.model, distance: hyperparameters.distance },
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

/** One row's detailed answer (variant v2). */
export interface DetailedPrediction {
  prediction: string;
  probabilities: Record<string, number>;
  neighbours: Array<{ label: string; distance: number; features: number[] }>;
}

/** Predicts class names for raw rows. */
export function predictLabels(model: ServedModel, rows: readonly number[][]): string[] {
  const scratch = new Float64Array(model.featureNames.length);
  return rows.map((row) => model.classNames[model.kernel.predict(standardizeInto(model, row, scratch))] as string);
}

/** Predicts with class probabilities and neighbours (in the caller's units). */
export function predictDetailed(model: ServedModel, rows: readonly number[][]): DetailedPrediction[] {
  const scratch = new Float64Array(model.featureNames.length);
  return rows.map((row) => {
    const explanation = model.kernel.explain(standardizeInto(model, row, scratch));
    return {
      prediction: model.classNames[explanation.label] as string,
      probabilities: Object.fromEntries(model.classNames.map((c, i) => [c, explanation.probabilities[i] ?? 0])),
      neighbours: explanation.neighbours.map((n) => ({
        label: model.classNames[n.label] as string,
        distance: n.distance,
        // Back to the caller's units, so a neighbour reads like a row of the training data.
        features: unstandardizeRow(model, n.features),
      })),
    };
  });
}
