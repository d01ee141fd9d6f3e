import { existsSync } from 'node:fs';
import type { Dataset } from './dataset';
import { loadCsv, loadIris } from './dataset';
import { InputError } from './errors';
import type { DataSpec, ModelConfig } from './model-config';
import { dataRoot, resolveDataPath } from './model-config';

/** A CSV and its class column given on the command line (`--data`/`--label`), replacing the configured data. */
export interface DataOverride {
  path: string;
  label: string;
}

interface DataGroup {
  spec: DataSpec;
  /** The configured CSV, resolved against the repository root; undefined for Iris. */
  file: string | undefined;
  names: string[];
}

function groupByData(modelsFile: string, configs: Record<string, ModelConfig>, names: readonly string[]): DataGroup[] {
  const groups = new Map<string, DataGroup>();
  for (const name of names) {
    const spec = configs[name]!.data;
    const file = spec.source === 'csv' ? resolveDataPath(modelsFile, spec.path) : undefined;
    const key = spec.source === 'csv' ? JSON.stringify([file, spec.label]) : spec.source;
    const group = groups.get(key) ?? { spec, file, names: [] };
    group.names.push(name);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function loadGroup(modelsFile: string, group: DataGroup): Dataset {
  const { spec, file } = group;
  if (spec.source === 'iris' || file === undefined) return loadIris();
  // One line that names every model reading this file, so the fix is found in models.json.
  const where = (field: string): string =>
    `${modelsFile}: ${group.names.map((name) => `models.${name}.${field}`).join(', ')}`;
  if (!existsSync(file)) {
    throw new InputError(
      `${where('data.path')}: "${spec.path}" not found (looked for ${file}); give a CSV path relative to the ` +
        `repository root ${dataRoot(modelsFile)}`,
    );
  }
  try {
    return loadCsv(file, spec.label);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${where('data')}: ${error.message}`);
    throw error;
  }
}

/**
 * The data set of every model in `names`: each model's configured data, or the `override` for all
 * of them. A data set several models share is loaded once and the same object is returned for each.
 * Everything is loaded before anything trains, so a missing file or an unknown label column stops
 * the run with one {@link InputError} naming the models and the fix, and nothing written.
 */
export function loadTrainingData(
  modelsFile: string,
  configs: Record<string, ModelConfig>,
  names: readonly string[],
  override?: DataOverride,
): Map<string, Dataset> {
  const byName = new Map<string, Dataset>();
  if (override) {
    const dataset = loadCsv(override.path, override.label);
    for (const name of names) byName.set(name, dataset);
    return byName;
  }
  for (const group of groupByData(modelsFile, configs, names)) {
    const dataset = loadGroup(modelsFile, group);
    for (const name of group.names) byName.set(name, dataset);
  }
  return byName;
}
