import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelArtifact } from './artifact';
import { readArtifact } from './artifact';
import type { MetricsFile } from './registry-files';
import {
  assertName,
  currentVersion,
  NAME_PATTERN,
  readMetrics,
  readPointer,
  VERSION_PATTERN,
  versionDir,
} from './registry-files';
import { writeFileAtomic } from './atomic-write';
import { ArtifactError, InputError } from './errors';

/**
 * The model registry is a directory: `<dir>/<name>/<version>/{model.json,metrics.json,model-card.md}`
 * plus per-name pointer files, each replaced atomically:
 * - `current`: the promoted version, the one the API serves;
 * - `latest`: the version the last training run produced (what the gate checks by default);
 * - `history`: promoted versions, oldest first; `rollback` pops the newest.
 */
export const DEFAULT_MODEL_DIR = 'model/artifacts';

function readHistory(modelDir: string, name: string): string[] {
  const file = join(modelDir, name, 'history');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export { currentVersion, latestVersion } from './registry-files';

/** Records `version` as the newest trained version of `name`. */
export function markLatest(modelDir: string, name: string, version: string): void {
  writeFileAtomic(join(modelDir, name, 'latest'), version + '\n');
}

/** Model names with a directory in the registry. */
export function listModelNames(modelDir: string): string[] {
  if (!existsSync(modelDir)) return [];
  return readdirSync(modelDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && NAME_PATTERN.test(d.name))
    .map((d) => d.name)
    .sort();
}

/**
 * Model names with a `current` pointer: the promoted ones, which the API serves when no list is
 * given. The pointer is not read here, so a broken one is served, and fails its load loudly,
 * rather than being skipped.
 */
export function listPromotedNames(modelDir: string): string[] {
  return listModelNames(modelDir).filter((name) => existsSync(join(modelDir, name, 'current')));
}

/** Complete versions of `name` (hidden staging directories are never listed). */
export function listVersions(modelDir: string, name: string): string[] {
  const dir = join(modelDir, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && VERSION_PATTERN.test(d.name) && existsSync(join(dir, d.name, 'model.json')))
    .map((d) => d.name)
    .sort();
}

/** Reads a version's metrics. */
export function readVersionMetrics(modelDir: string, name: string, version: string): MetricsFile {
  return readMetrics(join(versionDir(modelDir, name, version), 'metrics.json'));
}

/**
 * Points `current` at `version` after verifying its artifact, then pushes it onto the history.
 * In that order: a run killed between the two leaves the history one short, which rollback reads
 * correctly (the version before `current` is still the top); the other order would make it roll
 * "back" to the version it just promoted.
 */
export function promote(modelDir: string, name: string, version: string): ModelArtifact {
  assertName(name);
  if (!VERSION_PATTERN.test(version)) throw new InputError(`"${version}" is not a version id (12 hex digits)`);
  const artifact = readArtifact(join(versionDir(modelDir, name, version), 'model.json'));
  const history = readHistory(modelDir, name);
  writeFileAtomic(join(modelDir, name, 'current'), version + '\n');
  if (history[history.length - 1] !== version) {
    writeFileAtomic(join(modelDir, name, 'history'), [...history, version].join('\n') + '\n');
  }
  return artifact;
}

const STAGING = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what runs that were killed mid-write left staged (hidden `.<name>.<pid>.<rand>.tmp`
 * files and directories whose process is gone). Staged entries are never read, so this only
 * tidies; every writing command calls it first. Returns what it removed.
 */
export function sweepStaging(modelDir: string): string[] {
  const removed: string[] = [];
  const dirs = [modelDir, ...listModelNames(modelDir).map((name) => join(modelDir, name))];
  for (const dir of dirs.filter((d) => existsSync(d))) {
    for (const entry of readdirSync(dir)) {
      const match = STAGING.exec(entry);
      if (match && Number(match[1]) !== process.pid && !processAlive(Number(match[1]))) {
        rmSync(join(dir, entry), { recursive: true, force: true });
        removed.push(join(dir, entry));
      }
    }
  }
  return removed;
}

/** Moves `current` back to the previously promoted version; returns it. */
export function rollback(modelDir: string, name: string): string {
  assertName(name);
  const history = readHistory(modelDir, name);
  const current = readPointer(modelDir, name, 'current');
  while (history.length > 0 && history[history.length - 1] === current) history.pop();
  const previous = history[history.length - 1];
  if (!previous) throw new InputError(`${name}: no earlier promoted version to roll back to`);
  readArtifact(join(versionDir(modelDir, name, previous), 'model.json'));
  writeFileAtomic(join(modelDir, name, 'history'), history.join('\n') + '\n');
  writeFileAtomic(join(modelDir, name, 'current'), previous + '\n');
  return previous;
}

/** Loads and verifies the promoted artifact of `name`; throws {@link ArtifactError} naming the file at fault. */
export function loadPromoted(modelDir: string, name: string): ModelArtifact {
  const version = currentVersion(modelDir, name);
  if (!version) {
    throw new ArtifactError(join(modelDir, name, 'current'), 'no promoted version (run `npm run train -- --promote`)');
  }
  return readArtifact(join(versionDir(modelDir, name, version), 'model.json'));
}
