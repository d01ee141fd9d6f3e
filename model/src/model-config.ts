import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from './errors';

/** Quality thresholds a candidate must meet, and how far it may fall below the baseline. */
export const GateThresholdsSchema = z.strictObject({
  minAccuracy: z.number().min(0).max(1),
  minMacroF1: z.number().min(0).max(1),
  /** Largest allowed drop against the baseline, in absolute score points (0.02 = two points). */
  maxRegression: z.number().min(0).max(1),
});
export type GateThresholds = z.infer<typeof GateThresholdsSchema>;

/** One named model configuration from `model/models.json`. */
export const ModelConfigSchema = z.strictObject({
  description: z.string(),
  distance: z.enum(['euclidean', 'manhattan']),
  kCandidates: z.array(z.number().int().min(1)).min(1),
  folds: z.number().int().min(2).max(20),
  testFraction: z.number().gt(0).lt(1),
  seed: z.number().int().min(0),
  gate: GateThresholdsSchema,
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

const ModelsFileSchema = z.strictObject({
  $comment: z.string().optional(),
  models: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/), ModelConfigSchema),
});

/** The default location of the named model configurations. */
export const DEFAULT_MODELS_FILE = 'model/models.json';

/** Reads and validates the named model configurations. */
export function loadModelConfigs(file = DEFAULT_MODELS_FILE): Record<string, ModelConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`${file}: cannot read model configurations: ${(error as Error).message}`);
  }
  const parsed = ModelsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data.models;
}
