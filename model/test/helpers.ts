import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT } from '../../scripts/support/repo-root';

export { ROOT };

/** A fresh temporary directory. */
export function tempDir(prefix = 'mlship-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs a compiled CLI (`npm test` builds first) and returns its exit code and output. */
export function runCli(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { code: number; stdout: string; stderr: string } {
  const file = join(ROOT, 'dist', script);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm test does)`);
  const result = spawnSync(process.execPath, [file, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, MODEL_DIR: '', ...env },
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Every file below `dir`, relative, sorted (hidden staging files included, so leftovers show). */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

/** A fresh temporary directory per test, removed after it: call in a describe, read with `dir()`. */
export function useTempDir(prefix = 'mlship-'): () => string {
  let dir = '';
  beforeEach(() => {
    dir = tempDir(prefix);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** A CLI refused its input as the house rule says: exit 2, one line on stderr, nothing written to `dir`. */
export function expectRefused(
  result: { code: number; stdout: string; stderr: string },
  message: RegExp,
  dir: string,
): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(listFiles(dir)).toEqual([]);
}

/**
 * Runs `command` from the repository's root as a laptop or a container runs it: its environment
 * is PATH and a fresh HOME only. No CI variable (some libraries, onnxruntime among them, behave
 * otherwise under CI), and nothing of this process's. Returns how it ended and every file it left
 * under that HOME; the HOME is removed.
 */
export function runInFreshHome(command: string, args: string[]): { code: number; output: string; homeFiles: string[] } {
  const home = tempDir('mlship-home-');
  try {
    const result = spawnSync(command, args, {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      timeout: 120_000,
    });
    return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}`, homeFiles: listFiles(home) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
