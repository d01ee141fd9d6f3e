import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ArtifactError, InputError } from './errors';
import type { Evaluation } from './evaluate';

/**
 * A registry's layout and the files read without any model code: version directories, the
 * `current` and `latest` pointers, and `metrics.json`. Kept apart from the artifact and its
 * algorithms, so what only compares scores (the gate, the model-gate action) loads no model.
 */

/** Held-out evaluation, plus whatever the algorithm's own model selection scored (for KNN, `cv`). */
export type Scores = Evaluation & { testRows: number } & Record<string, unknown>;

/** The hyperparameters every artifact records: the algorithm's own, plus the split's. */
export type Hyperparameters = Record<string, unknown> & { testFraction: number; seed: number };

/** The content of `metrics.json`: what gates, PR comments and the API read. */
export interface MetricsFile {
  format: string;
  algorithm?: string;
  name: string;
  version: string;
  modelSha256: string;
  dataset: { source: string; sha256: string; rows: number };
  hyperparameters: Hyperparameters;
  scores: Scores;
}

/** The directory of one version in a registry. */
export function versionDir(modelDir: string, name: string, version: string): string {
  return join(modelDir, name, version);
}

const MetricsShape = z.object({
  // Each algorithm names its own (mlship.knn-metrics/v1); the gate reads every one alike.
  format: z
    .string()
    .regex(/^mlship\.[a-z][a-z0-9-]*-metrics\/v\d+$/, 'expected an mlship.<algorithm>-metrics/v<n> format'),
  algorithm: z.string().optional(),
  name: z.string(),
  version: z.string(),
  scores: z.object({ accuracy: z.number(), macroF1: z.number() }),
});

/** Reads a `metrics.json` (for the gate and the API), checking only that it is one. */
export function readMetrics(file: string): MetricsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ArtifactError(file, code === 'ENOENT' ? 'file not found' : 'not valid JSON');
  }
  const shape = MetricsShape.safeParse(parsed);
  if (!shape.success)
    throw new ArtifactError(file, `not an mlship metrics file (${shape.error.issues[0]?.message ?? 'invalid'})`);
  return parsed as MetricsFile;
}

export const VERSION_PATTERN = /^[0-9a-f]{12}$/;
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export function assertName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new InputError(`"${name}" is not a model name (letters, digits, - and _)`);
}

/** A pointer file's version (`current` or `latest`), if the file exists; an ArtifactError if it holds anything else. */
export function readPointer(modelDir: string, name: string, pointer: 'current' | 'latest'): string | undefined {
  const file = join(modelDir, name, pointer);
  if (!existsSync(file)) return undefined;
  const version = readFileSync(file, 'utf8').trim();
  if (!VERSION_PATTERN.test(version))
    throw new ArtifactError(file, `holds "${version.slice(0, 40)}", not a version id`);
  return version;
}

/** The promoted version of `name`, if any. */
export function currentVersion(modelDir: string, name: string): string | undefined {
  assertName(name);
  return readPointer(modelDir, name, 'current');
}

/** The version the most recent training run of `name` wrote, if any. */
export function latestVersion(modelDir: string, name: string): string | undefined {
  assertName(name);
  return readPointer(modelDir, name, 'latest');
}
