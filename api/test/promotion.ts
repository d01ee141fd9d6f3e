import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderModelCard } from '../../model/src/model-card';
import { writeArtifact } from '../../model/src/artifact';
import { versionDir } from '../../model/src/registry-files';
import { writeFileAtomic } from '../../model/src/atomic-write';
import { loadIris } from '../../model/src/dataset';
import { loadModelConfigs } from '../../model/src/algorithms/configs';
import { promote } from '../../model/src/registry';
import { trainModel } from '../../model/src/training';
import { loadTrainingData } from '../../model/src/training-data';
import { tempDir } from '../../model/test/helpers';
import { ROOT } from './helpers';

/** A promoted version of a model: its id and the sha256 its model.json records. */
export interface Promoted {
  version: string;
  sha256: string;
}

/** The version `current` names in `modelDir`, with its sha256. */
export function servedOnDisk(modelDir: string, name: string): Promoted {
  const version = readFileSync(join(modelDir, name, 'current'), 'utf8').trim();
  const { sha256 } = JSON.parse(readFileSync(join(versionDir(modelDir, name, version), 'model.json'), 'utf8')) as {
    sha256: string;
  };
  return { version, sha256 };
}

/**
 * Trains `name` again with the real training code on another seed (so another split, another
 * model and another version), into a registry of its own, and promotes it there: on its own
 * configured data, or on `data` (Iris for a model trained on other features). Returns that
 * registry and the new version.
 */
export function trainAnotherVersion(name: string, seedOffset = 1, data?: 'iris'): { registry: string } & Promoted {
  const modelsFile = join(ROOT, 'model/models.json');
  const configs = loadModelConfigs(modelsFile);
  const config = configs[name]!;
  const dataset = data === 'iris' ? loadIris() : loadTrainingData(modelsFile, configs, [name]).get(name)!;
  const artifact = trainModel(dataset, name, { ...config, seed: config.seed + seedOffset });
  const registry = tempDir('mlship-retrain-');
  writeArtifact(registry, artifact, renderModelCard(artifact));
  promote(registry, name, artifact.version);
  return { registry, version: artifact.version, sha256: artifact.sha256 };
}

/** Copies a version from one registry into another and promotes it there, as an in-cluster training Job would. */
export function promoteFrom(source: string, target: string, name: string, version: string): void {
  cpSync(versionDir(source, name, version), versionDir(target, name, version), { recursive: true });
  promote(target, name, version);
}

/**
 * Copies `version` of `name` under the id `badVersion`, flips one digit inside its model.json (still
 * valid JSON, so only the sha256 catches it) and points `current` at it, as a corrupt promotion would.
 */
export function promoteCorruptCopy(modelDir: string, name: string, version: string, badVersion: string): void {
  const target = versionDir(modelDir, name, badVersion);
  rmSync(target, { recursive: true, force: true });
  cpSync(versionDir(modelDir, name, version), target, { recursive: true });
  const file = join(target, 'model.json');
  const bytes = readFileSync(file);
  const digit = bytes.indexOf('5', bytes.indexOf('"kdTree"') + 200);
  bytes[digit] = bytes[digit]! ^ 0x01;
  writeFileSync(file, bytes);
  writeFileAtomic(join(modelDir, name, 'current'), `${badVersion}\n`);
}
