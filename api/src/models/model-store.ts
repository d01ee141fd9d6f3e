import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelArtifact } from '../../../model/src/artifact';
import { algorithmOf, loadInputOf } from '../../../model/src/artifact';
import type { MetricsFile } from '../../../model/src/registry-files';
import { readMetrics, versionDir } from '../../../model/src/registry-files';
import type { LoadInput, Predictor } from '../../../model/src/algorithms/port';
import { listPromotedNames, loadPromoted } from '../../../model/src/registry';
import type { Pair, PairRule } from './ab-pair';
import { choosePair, variantIn } from './ab-pair';
import type { Variant } from './variant';

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

/** How a store chooses what it serves beyond the names it starts with. */
export interface StoreOptions {
  /** Also serve every model promoted in the registry, now and on each reload (MODELS unset). */
  discover?: boolean;
  /** The A/B pair behind POST /predict; by default the first name and the second (or the first again), not required. */
  pair?: PairRule;
}

/**
 * The models this process serves, by name, and the A/B pair among them. `reload` verifies every
 * new version (and that the pair still takes one set of features) before swapping any in, so a
 * corrupt promotion leaves the old models serving. A model once served stays served: its
 * pointer going missing is a failed reload, not a quiet removal.
 */
export class ModelStore {
  private models = new Map<string, ServedModel>();
  private served: string[];
  private pairNow: Pair | undefined;
  private readonly rule: PairRule;

  constructor(
    private readonly modelDir: string,
    names: readonly string[],
    private readonly options: StoreOptions = {},
  ) {
    this.served = [...new Set(names)];
    this.rule = options.pair ?? { v1: names[0]!, v2: names[1] ?? names[0]!, required: false };
  }

  /** The models served (or to be, before the first load). */
  get names(): readonly string[] {
    return this.served;
  }

  /** What a load loads: the names served, and with `discover` every model promoted since (sorted by name). */
  wanted(): string[] {
    if (!this.options.discover) return this.served;
    let promoted: string[];
    try {
      promoted = listPromotedNames(this.modelDir);
    } catch {
      // An unreadable registry (a volume hiccup) adds nothing: the served models' own pointers decide.
      promoted = [];
    }
    return [...new Set([...this.served, ...promoted])].sort();
  }

  /** Loads every wanted model; throws on the first one that is missing or corrupt, or a PairError. */
  load(): void {
    const names = this.wanted();
    const next = new Map<string, ServedModel>();
    for (const name of names) next.set(name, loadServedModel(this.modelDir, name));
    const pair = choosePair(this.rule, next);
    this.models = next;
    this.served = names;
    this.pairNow = pair;
  }

  /** Same as load: all or nothing. Returns the names whose version changed (or that are new). */
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

  /** The pair served since the last load (undefined before it). */
  get pair(): Pair | undefined {
    return this.pairNow;
  }

  /** The model POST /predict answers from in `variant`. */
  forVariant(variant: Variant): ServedModel | undefined {
    const pair = this.pairNow;
    return pair && this.models.get(variant === 'v2' ? pair.v2 : pair.v1);
  }

  /** The variant `name` answers in (OIP infer, model_info): v2 only for the experiment's own model. */
  variantOf(name: string): Variant {
    return variantIn(this.pairNow, name);
  }
}

/** One row's detailed answer (variant v2): the prediction, class probabilities and the algorithm's evidence. */
export type DetailedPrediction = { prediction: string; probabilities: Record<string, number> } & Record<
  string,
  unknown
>;

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
