/**
 * Which models a process serves, decided at start from MODELS, MODEL_NAME, AB_MODEL_NAME and what
 * MODEL_DIR promotes; the files are only listed here, loading is the model store's.
 *
 * - MODELS unset: every model with a `current` pointer, and (the store's `discover`) every model
 *   promoted later. MODELS set: exactly those, each of which must be promoted now.
 * - MODEL_NAME is /predict's model. The documented default, M1, holds wherever the registry has
 *   it; a registry with no M1 at all (a fork that keeps only its own model) answers /predict from
 *   its first served model by name. A default model the registry has but cannot serve (its
 *   `current` lost or broken) is kept, so the start fails naming it instead of quietly serving
 *   another model; and a name that is set is always kept as it is.
 * - AB_MODEL_NAME is the experiment's model (variant v2). Unset, M2 where the registry has it,
 *   else MODEL_NAME (v2 then answers from the same model, with details). Whether the pair takes
 *   the same features is only known once both are loaded (ab-pair.ts): a partner that was set is
 *   then required to, a default one is dropped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listPromotedNames } from '../../../model/src/registry';
import type { PairRule } from './ab-pair';
import type { Config } from '../config';
import { ConfigError } from '../config';

/** What to serve, and which of MODEL_NAME and AB_MODEL_NAME were chosen here rather than set. */
export interface ModelSelection {
  /** The models to load at start, by name. */
  names: string[];
  /** Serve models promoted after the start too (MODELS unset). */
  discover: boolean;
  /** The A/B pair behind POST /predict. */
  pair: PairRule;
  chosen: Array<'MODEL_NAME' | 'AB_MODEL_NAME'>;
}

type SelectionConfig = Pick<Config, 'MODEL_DIR' | 'MODEL_NAME' | 'AB_MODEL_NAME' | 'MODELS'>;

const present = (dir: string, name: string): boolean => existsSync(join(dir, name));
const isSet = (env: NodeJS.ProcessEnv, key: string): boolean => Boolean(env[key]);

/** The models `config` asks for; a ConfigError (one line: what to change) when MODELS cannot be served. */
export function selectModels(config: SelectionConfig, env: NodeJS.ProcessEnv = process.env): ModelSelection {
  const dir = config.MODEL_DIR;
  const promoted = listPromotedNames(dir);
  const listed = config.MODELS;
  if (listed) assertPromoted(listed, promoted, dir);
  const served = listed ?? promoted;
  const chosen: ModelSelection['chosen'] = [];

  let v1 = config.MODEL_NAME;
  if (!isSet(env, 'MODEL_NAME') && (listed ? !listed.includes(v1) : !present(dir, v1)) && served.length > 0) {
    v1 = served[0]!;
    chosen.push('MODEL_NAME');
  }
  let v2 = config.AB_MODEL_NAME;
  if (!isSet(env, 'AB_MODEL_NAME') && (listed ? !listed.includes(v2) : !present(dir, v2))) {
    v2 = v1;
    chosen.push('AB_MODEL_NAME');
  }
  if (listed) {
    for (const [key, name] of [
      ['MODEL_NAME', v1],
      ['AB_MODEL_NAME', v2],
    ] as const) {
      if (!listed.includes(name))
        throw new ConfigError(
          `${key}=${name} is not in MODELS=${listed.join(',')}: add it to MODELS, or set ${key} to one of them`,
        );
    }
  }
  return {
    names: [...new Set([...served, v1, v2])].sort(),
    discover: !listed,
    pair: { v1, v2, required: isSet(env, 'AB_MODEL_NAME') },
    chosen,
  };
}

function assertPromoted(listed: readonly string[], promoted: readonly string[], dir: string): void {
  const missing = listed.filter((name) => !promoted.includes(name));
  if (missing.length === 0) return;
  const what = missing.length === 1 ? `${missing[0]}, which is` : `${missing.join(', ')}, which are`;
  throw new ConfigError(
    `MODELS names ${what} not promoted in ${dir} (no <name>/current); promoted there: ` +
      `${promoted.join(', ') || 'none (run `npm run train -- --promote`)'}`,
  );
}
