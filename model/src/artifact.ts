import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { algorithmNamed } from './algorithms';
import type { AnyAlgorithm, LoadInput } from './algorithms/port';
import { canonicalJson, sha256 } from './canonical';
import { stagingPath } from './atomic-write';
import type { DatasetFingerprint } from './dataset';
import { ArtifactError, issueText } from './errors';
import type { Hyperparameters, MetricsFile, Scores } from './registry-files';
import { versionDir } from './registry-files';
import type { Standardizer } from './preprocess';

/**
 * The content of `model.json`, the same envelope for every algorithm: `format` is the
 * algorithm's artifact format id, `algorithm` names it (absent for the default, see
 * algorithms/index.ts), `hyperparameters` and `model` are the algorithm's own; the rest is common.
 */
export interface ModelArtifact {
  format: string;
  algorithm?: string;
  name: string;
  version: string;
  dataset: DatasetFingerprint;
  preprocessing: Standardizer;
  hyperparameters: Hyperparameters;
  split: { trainRows: number; testRows: number };
  model: unknown;
  scores: Scores;
  software: Record<string, string>;
  sha256: string;
}

/** The algorithm an artifact or metrics file was made by. */
export function algorithmOf(file: Pick<ModelArtifact, 'algorithm'>): AnyAlgorithm {
  return algorithmNamed(file.algorithm);
}

/** What the algorithm's `load` reads from an artifact. */
export function loadInputOf(artifact: ModelArtifact): LoadInput<unknown, unknown> {
  const { hyperparameters, model, preprocessing, dataset } = artifact;
  return { hyperparameters, model, preprocessing, featureNames: dataset.featureNames, classNames: dataset.classNames };
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
    format: algorithmOf(artifact).metricsFormat,
    ...(artifact.algorithm === undefined ? {} : { algorithm: artifact.algorithm }),
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

// The common fields the serving path relies on; the digest already proves the rest is what training
// wrote, and the algorithm checks its own hyperparameters and model.
const EnvelopeShape = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  dataset: z.object({
    featureNames: z.array(z.string()).min(1),
    classNames: z.array(z.string()).min(2),
    sha256: z.string(),
    rows: z.number(),
  }),
  preprocessing: z.object({ type: z.literal('standardize'), mean: z.array(z.number()), std: z.array(z.number()) }),
  scores: z.object({ accuracy: z.number(), macroF1: z.number() }),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The algorithm an artifact names, checked against its format id. */
function artifactAlgorithm(file: string, content: Record<string, unknown>): AnyAlgorithm {
  if (content.algorithm !== undefined && typeof content.algorithm !== 'string')
    throw new ArtifactError(file, 'invalid field algorithm: expected a string');
  let algorithm: AnyAlgorithm;
  try {
    algorithm = algorithmNamed(content.algorithm);
  } catch (error) {
    throw new ArtifactError(file, (error as Error).message);
  }
  if (content.format !== algorithm.format) {
    throw new ArtifactError(
      file,
      `wrong format ${JSON.stringify(content.format ?? null)}; expected "${algorithm.format}"`,
    );
  }
  return algorithm;
}

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
  const algorithm = artifactAlgorithm(file, content);
  if (typeof recorded !== 'string') throw new ArtifactError(file, 'has no sha256 field');
  const actual = sha256(canonicalJson(content));
  if (actual !== recorded) {
    throw new ArtifactError(
      file,
      `sha256 mismatch: content hashes to ${actual.slice(0, 12)}…, file records ${recorded.slice(0, 12)}…`,
    );
  }
  const checks = [
    { schema: EnvelopeShape, value: parsed, prefix: undefined },
    { schema: algorithm.params, value: content.hyperparameters, prefix: 'hyperparameters' },
    { schema: algorithm.body, value: content.model, prefix: 'model' },
  ];
  for (const { schema, value, prefix } of checks) {
    const shape = schema.safeParse(value);
    if (!shape.success)
      throw new ArtifactError(file, `invalid field ${issueText(shape.error, prefix ? [prefix] : [])}`);
  }
  return parsed as ModelArtifact;
}
