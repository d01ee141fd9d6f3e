import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One model version in a fixture registry. */
export interface FixtureModel {
  name: string;
  version: string;
  accuracy: number;
  macroF1: number;
  /** Which pointer file names this version: `latest` (a fresh training run) or `current` (promoted). */
  pointer: 'latest' | 'current';
}

/**
 * Writes a registry with just what the gate reads: `<dir>/<name>/<version>/metrics.json` (the
 * fields `readMetrics` checks) and the pointer file.
 */
export function writeRegistry(dir: string, models: readonly FixtureModel[]): string {
  for (const m of models) {
    const versionDir = join(dir, m.name, m.version);
    mkdirSync(versionDir, { recursive: true });
    const metrics = {
      format: 'mlship.knn-metrics/v1',
      name: m.name,
      version: m.version,
      scores: { accuracy: m.accuracy, macroF1: m.macroF1 },
    };
    writeFileSync(join(versionDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    writeFileSync(join(dir, m.name, m.pointer), m.version + '\n');
  }
  return dir;
}

/** A models file with M1 and M2 gated at 0.9 / 0.9 and a tolerance of 0.02. */
export function writeModelsFile(file: string): string {
  const gate = { minAccuracy: 0.9, minMacroF1: 0.9, maxRegression: 0.02 };
  const model = (distance: string) => ({
    description: 'fixture',
    data: { source: 'iris' },
    distance,
    kCandidates: [3, 5],
    folds: 5,
    testFraction: 0.2,
    seed: 42,
    gate,
  });
  writeFileSync(file, JSON.stringify({ models: { M1: model('euclidean'), M2: model('manhattan') } }, null, 2) + '\n');
  return file;
}
