import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KnnModelJson } from 'ml-knn';
import { z } from 'zod';
import { canonicalJson, sha256 } from './canonical';
import { stagingPath } from './atomic-write';
import type { DatasetFingerprint } from './dataset';
import { ArtifactError } from './errors';
import type { Evaluation } from './evaluate';
import type { DistanceName } from './knn-fit';
import type { Standardizer } from './preprocess';

export const MODEL_FORMAT = 'mlship.knn-model/v1';
export const METRICS_FORMAT = 'mlship.knn-metrics/v1';

/** Cross-validation results: every candidate k's fold scores, and the chosen one. */
export interface CrossValidation {
  folds: number;
  metric: 'accuracy';
  chosenK: number;
  mean: number;
  std: number;
  candidates: Array<{ k: number; mean: number; std: number; foldScores: number[] }>;
}

/** Held-out evaluation plus the cross-validation that chose k. */
export interface Scores extends Evaluation {
  testRows: number;
  cv: CrossValidation;
}

export interface Hyperparameters {
  k: number;
  distance: DistanceName;
  kCandidates: number[];
  folds: number;
  testFraction: number;
  seed: number;
}

/** The content of `model.json`. */
export interface ModelArtifact {
  format: typeof MODEL_FORMAT;
  name: string;
  version: string;
  dataset: DatasetFingerprint;
  preprocessing: Standardizer;
  hyperparameters: Hyperparameters;
  split: { trainRows: number; testRows: number };
  model: KnnModelJson;
  scores: Scores;
  software: { mlKnn: string };
  sha256: string;
}

/** The content of `metrics.json`: what gates, PR comments and the API read. */
export interface MetricsFile {
  format: typeof METRICS_FORMAT;
  name: string;
  version: string;
  modelSha256: string;
  dataset: { source: string; sha256: string; rows: number };
  hyperparameters: Hyperparameters;
  scores: Scores;
}

/**
 * Seals an artifact: the version is derived from the content (never the clock), and `sha256`
 * covers the canonical form of everything else, version included.
 */
export function sealArtifact(content: Omit<ModelArtifact, 'version' | 'sha256'>): ModelArtifact {
  const version = sha256(canonicalJson(content)).slice(0, 12);
  const withVersion = { ...content, version };
  return { ...withVersion, sha256: sha256(canonicalJson(withVersion)) };
}

/** The metrics file that accompanies an artifact. */
export function metricsOf(artifact: ModelArtifact): MetricsFile {
  return {
    format: METRICS_FORMAT,
    name: artifact.name,
    version: artifact.version,
    modelSha256: artifact.sha256,
    dataset: { source: artifact.dataset.source, sha256: artifact.dataset.sha256, rows: artifact.dataset.rows },
    hyperparameters: artifact.hyperparameters,
    scores: artifact.scores,
  };
}

/** Serialises an artifact or metrics file to its on-disk bytes. */
export function serialize(value: ModelArtifact | MetricsFile): string {
  return canonicalJson(value, 2) + '\n';
}

/** The directory of one version in a registry. */
export function versionDir(modelDir: string, name: string, version: string): string {
  return join(modelDir, name, version);
}

/**
 * Writes `model.json`, `metrics.json` and `model-card.md` into `<modelDir>/<name>/<version>/`.
 * The three files are staged in a hidden directory and renamed into place in one step, so a crash
 * leaves either no version or a complete one. An existing identical version is left untouched.
 * Returns the version directory.
 */
export function writeArtifact(modelDir: string, artifact: ModelArtifact, modelCard: string): string {
  const target = versionDir(modelDir, artifact.name, artifact.version);
  if (existsSync(join(target, 'model.json'))) {
    // Same content means same version: verify rather than rewrite.
    readArtifact(join(target, 'model.json'));
    return target;
  }
  mkdirSync(join(modelDir, artifact.name), { recursive: true });
  const staging = stagingPath(target);
  try {
    mkdirSync(staging);
    writeFileSync(join(staging, 'model.json'), serialize(artifact), { flush: true });
    writeFileSync(join(staging, 'metrics.json'), serialize(metricsOf(artifact)), { flush: true });
    writeFileSync(join(staging, 'model-card.md'), modelCard, { flush: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
}

const TreeNodeSchema: z.ZodType<unknown> = z.lazy(() =>
  z.object({
    obj: z.array(z.number()),
    dimension: z.number().int(),
    left: z.union([TreeNodeSchema, z.null()]),
    right: z.union([TreeNodeSchema, z.null()]),
  }),
);

// The fields the serving path relies on; the digest already proves the rest is what training wrote.
const ArtifactShape = z.object({
  format: z.literal(MODEL_FORMAT),
  name: z.string().min(1),
  version: z.string().min(1),
  dataset: z.object({
    featureNames: z.array(z.string()).min(1),
    classNames: z.array(z.string()).min(2),
    sha256: z.string(),
    rows: z.number(),
  }),
  preprocessing: z.object({ type: z.literal('standardize'), mean: z.array(z.number()), std: z.array(z.number()) }),
  hyperparameters: z.object({ k: z.number().int().min(1), distance: z.enum(['euclidean', 'manhattan']) }),
  model: z.object({ name: z.literal('KNN'), k: z.number(), classes: z.array(z.number()), isEuclidean: z.boolean(), kdTree: TreeNodeSchema }),
  scores: z.object({ accuracy: z.number(), macroF1: z.number() }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * Reads and verifies a `model.json`: valid JSON, the right format id, an intact sha256 and the
 * shape serving needs. Any failure is an {@link ArtifactError} naming the file and the problem.
 */
export function readArtifact(file: string): ModelArtifact {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArtifactError(file, code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ArtifactError(file, 'not valid JSON (truncated or edited?)');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ArtifactError(file, 'not a model artifact (expected a JSON object)');
  }
  const { sha256: recorded, ...content } = parsed as Record<string, unknown>;
  if (content.format !== MODEL_FORMAT) {
    throw new ArtifactError(file, `wrong format ${JSON.stringify(content.format ?? null)}; expected "${MODEL_FORMAT}"`);
  }
  if (typeof recorded !== 'string') throw new ArtifactError(file, 'has no sha256 field');
  const actual = sha256(canonicalJson(content));
  if (actual !== recorded) {
    throw new ArtifactError(file, `sha256 mismatch: content hashes to ${actual.slice(0, 12)}…, file records ${recorded.slice(0, 12)}…`);
  }
  const shape = ArtifactShape.safeParse(parsed);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    throw new ArtifactError(file, `invalid field ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed as ModelArtifact;
}

/** Reads a `metrics.json` (for the gate and the API), checking only that it is one. */
export function readMetrics(file: string): MetricsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArtifactError(file, code === 'ENOENT' ? 'file not found' : 'not valid JSON');
  }
  const shape = z
    .object({ format: z.literal(METRICS_FORMAT), name: z.string(), version: z.string(), scores: z.object({ accuracy: z.number(), macroF1: z.number() }) })
    .safeParse(parsed);
  if (!shape.success) throw new ArtifactError(file, `not an mlship metrics file (${shape.error.issues[0]?.message ?? 'invalid'})`);
  return parsed as MetricsFile;
}
