import type { z } from 'zod';
import type { Dataset } from '../dataset';
import type { Standardizer, StandardizerParameters } from '../preprocess';

/**
 * The model-type port: what training, the registry, the model card and the API need from an
 * algorithm, and nothing more. Everything else (how it fits, what its model body holds, how it
 * predicts fast) stays inside the algorithm's own folder. An algorithm is added by writing one
 * folder, named as the algorithm, whose index.ts exports an {@link Algorithm} and whose load.ts
 * exports its `load` alone (what the batch thread loads, see loaders.ts), and naming it once in
 * `algorithms/index.ts`.
 */

/** What an algorithm fits on: the training split, in the caller's units, and its fitted standardizer. */
export interface FitInput {
  X: number[][];
  y: number[];
  classCount: number;
  featureCount: number;
  /** The data's class names, in class-index order (what an algorithm that brings its own labels checks against). */
  classNames: readonly string[];
  /** Resolves a path a models.json entry gives (relative to the repository root, as data paths are). */
  resolvePath(path: string): string;
  /** z-score parameters fitted on these rows only (what the artifact records and serving applies). */
  standardizer: Standardizer;
  /** A seed of its own for any randomness in fitting (cross-validation folds), independent of the split's. */
  seed: number;
}

/** What fitting gives back: the parts of the artifact that only the algorithm can fill in. */
export interface Fitted<Params, Body> {
  /** Chosen hyperparameters (the common testFraction and seed are added beside them). */
  params: Params;
  /** The model itself, as plain JSON: the artifact's `model`. */
  model: Body;
  /** Scores from the algorithm's own model selection (for instance cross-validation), kept beside the held-out ones. */
  selection: Record<string, unknown>;
  /** Versions of the libraries the model depends on, recorded in the artifact. */
  software: Record<string, string>;
}

/** What loading needs: the artifact's hyperparameters and model, its standardizer, and the data's names. */
export interface LoadInput<Params, Body> {
  hyperparameters: Params;
  model: Body;
  preprocessing: StandardizerParameters;
  featureNames: readonly string[];
  classNames: readonly string[];
}

/** A prediction with what supports it. */
export interface Explanation {
  /** Class index. */
  label: number;
  /** One probability per class, in class order. */
  probabilities: number[];
  /**
   * What the algorithm can show for its answer, as JSON-ready fields beside the prediction (names, not indexes, for
   * classes).
   */
  evidence: Record<string, unknown>;
}

/** A loaded model. Rows are in the caller's units: the predictor applies the standardizer itself. */
export interface Predictor {
  /** The class index of one row (featureCount finite numbers). */
  predict(row: ArrayLike<number>): number;
  /** Class indices of rows laid end to end into `out` (the batch thread's path: nothing allocated per row). */
  predictFlat(rows: Float64Array, out: Int32Array): void;
  /** The prediction with class probabilities and evidence (the experiment variant's answer). */
  explain(row: ArrayLike<number>): Explanation;
}

/** How the model card, `/models` and the CLIs present a model. */
export interface Description {
  /** The card's opening sentence: what kind of model this is. */
  summary: string;
  /** The card's Hyperparameters section, markdown lines. */
  hyperparameters: string[];
  /** Limitations that come from the algorithm, markdown bullets. */
  limitations: string[];
  /** Hyperparameters `/models` shows beside the common fields. */
  fields: Record<string, string | number>;
  /** A few words for one-line listings (`registry list`, the training summary). */
  brief: string;
}

/** Optional: an independent implementation a parity test and the benchmark compare with. */
export interface ScikitLearnReference<Params, Body> {
  /** The Python script (from the repository root) that reads the spec on stdin. */
  script: string;
  /** The script's input for one model, from its artifact. */
  spec(name: string, artifact: LoadInput<Params, Body>): Record<string, unknown>;
}

export interface Algorithm<Config, Params, Body> {
  /** The `algorithm` of a models.json entry and of an artifact. */
  name: string;
  /** The `format` ids of this algorithm's model.json and metrics.json. */
  format: string;
  metricsFormat: string;
  /** The algorithm's own fields of a models.json entry (an object schema: the common fields are added to it). */
  config: z.ZodType<Config> & Pick<z.ZodObject, 'shape'>;
  /** The shape of `hyperparameters` and `model` that loading relies on (checked when an artifact is read). */
  params: z.ZodType<Params>;
  body: z.ZodType<Body>;
  /** Refuses, with an InputError saying what to change, data the configuration cannot train on. */
  assertTrainable(dataset: Dataset, config: Config, testFraction: number): void;
  fit(input: FitInput, config: Config): Fitted<Params, Body>;
  load(input: LoadInput<Params, Body>): Predictor;
  describe(params: Params, selection: Record<string, unknown>, software: Record<string, string>): Description;
  /** JSON Schema of each field of {@link Explanation.evidence}, for the API's OpenAPI document. */
  evidence: Record<string, Record<string, unknown>>;
  scikitLearn?: ScikitLearnReference<Params, Body>;
  /**
   * Optional: figures only this algorithm can give for `npm run bench:model` (against the library
   * it reimplements, say), timed with `usPerRow` (µs per row of `rows`, one pass over them per call).
   * It is handed the predictor bench:model times, to reuse its parts rather than load a second copy.
   */
  benchmark?(
    predictor: Predictor,
    input: LoadInput<Params, Body>,
    rows: number[][],
    usPerRow: (pass: () => number) => number,
  ): Record<string, number>;
}

/**
 * An algorithm as the registry holds it: its types are its own business. Safe because every value
 * that reaches it came through its own schemas: configurations are parsed with `config`, artifacts
 * with `params` and `body` (after their sha256 proved them what the same algorithm wrote).
 */
export type AnyAlgorithm = Algorithm<unknown, unknown, unknown>;
