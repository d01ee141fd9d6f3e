/**
 * upload-artifact and download-artifact, here: an artifact is a folder named after it in the run's
 * artifact folder. Paths are stored as actions/upload-artifact stores them, relative to the
 * deepest folder that holds every uploaded path, and a download unpacks them into `path`.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** What a step of either action reports. */
export interface ArtifactOutcome {
  ok: boolean;
  note: string;
}

/** The deepest folder holding every path (a file's folder when only one file is given). */
export function commonRoot(paths: readonly string[]): string {
  const folders = paths.map((p) => (statSync(p).isDirectory() ? p : dirname(p)));
  let root = folders[0]!;
  while (!folders.every((f) => f === root || f.startsWith(root.endsWith(sep) ? root : root + sep)))
    root = dirname(root);
  return root;
}

/** A multi-line input's entries, without blanks and `#` comments (as the actions read their lists). */
export function inputLines(raw: string | undefined): string[] {
  return (raw ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** upload-artifact's `name`, `path`, `if-no-files-found` and `overwrite`, against the workspace. */
export function uploadArtifact(inputs: Record<string, string>, workspace: string, artifacts: string): ArtifactOutcome {
  const name = inputs.name || 'artifact';
  const patterns = inputLines(inputs.path);
  if (patterns.some((p) => /[*?[]|^!/.test(p)))
    return { ok: false, note: `path ${patterns.join(', ')}: wildcards are not supported by the pipeline twin` };
  const found = patterns.map((p) => resolve(workspace, p)).filter((p) => existsSync(p));
  const target = join(artifacts, name);
  if (found.length === 0) {
    const missing = inputs['if-no-files-found'] || 'warn';
    return { ok: missing !== 'error', note: `no files at ${patterns.join(', ')} (if-no-files-found: ${missing})` };
  }
  if (existsSync(target)) {
    if (inputs.overwrite !== 'true') return { ok: false, note: `artifact ${name} exists and overwrite is not true` };
    rmSync(target, { recursive: true, force: true });
  }
  const root = commonRoot(found);
  for (const path of found) {
    const stored = join(target, relative(root, path));
    mkdirSync(dirname(stored), { recursive: true });
    cpSync(path, stored, { recursive: true });
  }
  return { ok: true, note: `${count(target)} files as artifact ${name}` };
}

/** download-artifact's `name` and `path` (default: the workspace). */
export function downloadArtifact(
  inputs: Record<string, string>,
  workspace: string,
  artifacts: string,
): ArtifactOutcome {
  const name = inputs.name;
  if (!name)
    return {
      ok: false,
      note: 'download without a name (every artifact of the run) is not supported by the pipeline twin',
    };
  const source = join(artifacts, name);
  if (!existsSync(source)) return { ok: false, note: `no artifact ${name} in this run` };
  const path = inputs.path ? (isAbsolute(inputs.path) ? inputs.path : join(workspace, inputs.path)) : workspace;
  mkdirSync(path, { recursive: true });
  // Into the folder the artifact came from: it is itself already.
  if (resolve(path) !== resolve(source)) cpSync(source, path, { recursive: true });
  return { ok: true, note: `${count(source)} files of artifact ${name} into ${relative(workspace, path) || '.'}` };
}

function count(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length;
}
