import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/** A fresh temporary directory. */
export function tempDir(prefix = 'mlship-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs a compiled CLI (`npm test` builds first) and returns its exit code and output. */
export function runCli(script: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const file = join(ROOT, 'dist', script);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm test does)`);
  const result = spawnSync(process.execPath, [file, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MODEL_DIR: '', ...env } });
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
