import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, issueText } from './errors';

/** Quality thresholds a candidate must meet, and how far it may fall below the baseline. */
export const GateThresholdsSchema = z.strictObject({
  minAccuracy: z.number().min(0).max(1),
  minMacroF1: z.number().min(0).max(1),
  /** Largest allowed drop against the baseline, in absolute score points (0.02 = two points). */
  maxRegression: z.number().min(0).max(1),
});
export type GateThresholds = z.infer<typeof GateThresholdsSchema>;

/**
 * The data a model trains on: the built-in Iris, or a CSV in the repository with its class column.
 * A relative CSV path is resolved by {@link resolveDataPath}.
 */
export const DataSpecSchema = z.discriminatedUnion(
  'source',
  [
    z.strictObject({ source: z.literal('iris') }),
    z.strictObject({
      source: z.literal('csv'),
      path: z.string({ error: 'give the CSV file, relative to the repository root' }).min(1),
      label: z.string({ error: 'give the name of the class column' }).min(1),
    }),
  ],
  { error: 'expected {"source":"iris"} or {"source":"csv","path":"<file.csv>","label":"<class column>"}' },
);
export type DataSpec = z.infer<typeof DataSpecSchema>;

/**
 * The fields every `model/models.json` entry has, whatever its algorithm: `algorithm` (default
 * knn) chooses the algorithm, whose own fields sit beside these and are checked by it.
 */
export const CommonConfigSchema = z.object({
  algorithm: z.string().optional(),
  description: z.string(),
  data: DataSpecSchema,
  testFraction: z.number().gt(0).lt(1),
  seed: z.number().int().min(0),
  gate: GateThresholdsSchema,
});

/** One named model configuration from `model/models.json`: the common fields plus its algorithm's. */
export type ModelConfig = z.infer<typeof CommonConfigSchema> & Record<string, unknown>;

const ModelsFileSchema = z.strictObject({
  $comment: z.string().optional(),
  models: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/), z.record(z.string(), z.unknown())),
});

/** The default location of the named model configurations. */
export const DEFAULT_MODELS_FILE = 'model/models.json';

/**
 * Reads a models file and hands each entry to `parseEntry` (which throws an InputError naming
 * the field at fault). The file's own errors name the file and the path in it.
 */
export function readModelsFile<T>(
  file: string,
  parseEntry: (name: string, entry: Record<string, unknown>) => T,
): Record<string, T> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`${file}: cannot read model configurations: ${(error as Error).message}`);
  }
  const parsed = ModelsFileSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(`${file}: ${issueText(parsed.error, [])}`);
  return Object.fromEntries(Object.entries(parsed.data.models).map(([name, entry]) => [name, parseEntry(name, entry)]));
}

/**
 * The gate's view of a models file: each entry's common fields, its thresholds among them,
 * checked; the algorithm's own fields are training's business (and its algorithm's code is not
 * needed to read a gate).
 */
export function loadGateConfigs(file = DEFAULT_MODELS_FILE): Record<string, z.infer<typeof CommonConfigSchema>> {
  return readModelsFile(file, (name, entry) => {
    const parsed = CommonConfigSchema.safeParse(entry);
    if (!parsed.success) throw new InputError(`${file}: ${issueText(parsed.error, ['models', name])}`);
    return parsed.data;
  });
}

/**
 * The folder a models file's relative data paths start from: the repository root, found as the
 * nearest folder at or above the models file that holds a `package.json`, so training reads the
 * same file whatever the working directory (a developer's shell, the image's /app, a CI job). A
 * models file outside any package resolves against its own folder.
 */
export function dataRoot(modelsFile: string): string {
  const start = dirname(resolve(modelsFile));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

/** The absolute path of a configured CSV: absolute paths as given, relative ones from {@link dataRoot}. */
export function resolveDataPath(modelsFile: string, path: string): string {
  return isAbsolute(path) ? path : join(dataRoot(modelsFile), path);
}
