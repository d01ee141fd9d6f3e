import type { ModelConfig } from '../model-config';
import { CommonConfigSchema, DEFAULT_MODELS_FILE, readModelsFile } from '../model-config';
import { InputError, issueText } from '../errors';
import { algorithmNamed } from '.';

/** One entry, checked against the common fields and its algorithm's, with no field left over. */
function parseEntry(file: string, name: string, entry: Record<string, unknown>): ModelConfig {
  let algorithm;
  try {
    algorithm = algorithmNamed(typeof entry.algorithm === 'string' ? entry.algorithm : undefined);
  } catch (error) {
    throw new InputError(`${file}: models.${name}.algorithm: ${(error as Error).message}`);
  }
  const parsed = CommonConfigSchema.extend(algorithm.config.shape).strict().safeParse(entry);
  if (!parsed.success) throw new InputError(`${file}: ${issueText(parsed.error, ['models', name])}`);
  return parsed.data as ModelConfig;
}

/** Reads and validates the named model configurations, each with its algorithm's own fields. */
export function loadModelConfigs(file = DEFAULT_MODELS_FILE): Record<string, ModelConfig> {
  return readModelsFile(file, (name, entry) => parseEntry(file, name, entry));
}
