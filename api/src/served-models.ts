/**
 * The models a process serves when MODEL_NAME and AB_MODEL_NAME are not set. The documented
 * defaults, M1 and M2, hold wherever the registry has them; a registry with no M1 at all (a fork
 * that keeps only its own model) serves its first promoted model, by name, as both variants, and
 * one with no M2 serves MODEL_NAME as the experiment too. A default model the registry has but
 * cannot serve (its `current` lost or broken) is kept, so the start fails naming it instead of
 * quietly serving another model; and a name that is set is always kept as it is.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config';

/** The pair to serve, and which of the two were chosen from the registry. */
export interface ServedModels {
  MODEL_NAME: string;
  AB_MODEL_NAME: string;
  chosen: Array<'MODEL_NAME' | 'AB_MODEL_NAME'>;
}

const promoted = (dir: string, name: string): boolean => existsSync(join(dir, name, 'current'));
const absent = (dir: string, name: string): boolean => !existsSync(join(dir, name));

/** MODEL_NAME and AB_MODEL_NAME from the environment, or from what `config.MODEL_DIR` promotes. */
export function servedModels(config: Pick<Config, 'MODEL_DIR' | 'MODEL_NAME' | 'AB_MODEL_NAME'>, env: NodeJS.ProcessEnv = process.env): ServedModels {
  const chosen: ServedModels['chosen'] = [];
  let modelName = config.MODEL_NAME;
  if (!env.MODEL_NAME && absent(config.MODEL_DIR, modelName)) {
    const first = existsSync(config.MODEL_DIR) ? readdirSync(config.MODEL_DIR).sort().find((name) => promoted(config.MODEL_DIR, name)) : undefined;
    if (first) {
      modelName = first;
      chosen.push('MODEL_NAME');
    }
  }
  let abModelName = config.AB_MODEL_NAME;
  if (!env.AB_MODEL_NAME && absent(config.MODEL_DIR, abModelName)) {
    abModelName = modelName;
    chosen.push('AB_MODEL_NAME');
  }
  return { MODEL_NAME: modelName, AB_MODEL_NAME: abModelName, chosen };
}
