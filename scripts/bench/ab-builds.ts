import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundResult } from './ab-figures';

/**
 * The two builds of an A/B run: this checkout, and a git ref checked out in a temporary worktree
 * with its own node_modules (`npm ci`, so its dependencies are the ones its lockfile names), each
 * built once and then benchmarked by its own bench:api and bench:model scripts.
 */
export interface Build {
  name: string;
  dir: string;
}

const TEN_MINUTES_MS = 10 * 60 * 1000;

/** Runs `command` in `cwd` with stderr shown; returns stdout, or throws one line naming what failed. */
function run(command: string, args: readonly string[], cwd: string, what: string): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: TEN_MINUTES_MS,
  });
  if (result.error) throw new Error(`${what} failed: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(
      `${what} failed with exit ${result.status ?? result.signal}: ${result.stdout.trim().split('\n').pop() ?? ''}`,
    );
  return result.stdout;
}

/** The commit `ref` names in the repository at `root`, or a one-line error for an unknown ref. */
export function resolveCommit(root: string, ref: string): string {
  const result = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(
      `--against ${ref}: no such commit in this repository (try a branch, a tag or a sha that \`git log\` shows)`,
    );
  return result.stdout.trim();
}

/** Checks `commit` out in a temporary worktree, installs its lockfile's dependencies and builds it. */
export function prepareWorktree(root: string, commit: string, log: (line: string) => void): Build & { remove(): void } {
  const parent = mkdtempSync(join(tmpdir(), 'mlship-bench-ab-'));
  const dir = join(parent, 'baseline');
  const remove = (): void => {
    spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' });
    rmSync(parent, { recursive: true, force: true });
    spawnSync('git', ['worktree', 'prune'], { cwd: root, stdio: 'ignore' });
  };
  try {
    run('git', ['worktree', 'add', '--detach', '--quiet', dir, commit], root, `git worktree add ${commit}`);
    log(`bench:ab: npm ci in ${dir}`);
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], dir, `npm ci at ${commit.slice(0, 7)}`);
    buildIn(dir, `building ${commit.slice(0, 7)}`, log);
  } catch (error) {
    remove();
    throw error;
  }
  return { name: commit.slice(0, 7), dir, remove };
}

/** `npm run build` in `dir`. */
export function buildIn(dir: string, what: string, log: (line: string) => void): void {
  log(`bench:ab: ${what}`);
  run('npm', ['run', '-s', 'build'], dir, what);
}

/** The last line of a benchmark's stdout, parsed: its --json result. */
function lastJsonLine(stdout: string, what: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`${what} printed no JSON line at the end: "${line.slice(0, 200)}"`);
  }
}

/**
 * One round of one build: its bench:api then its bench:model, each as its npm script runs it
 * minus the build (done once before the rounds: a rebuild would also drop the code cache).
 */
export function benchBuild(build: Build, seconds: number, model: string): RoundResult {
  const tsx = join(build.dir, 'node_modules', '.bin', 'tsx');
  const api = run(
    tsx,
    ['scripts/bench-api.ts', '--json', '--seconds', String(seconds)],
    build.dir,
    `bench:api of ${build.name}`,
  );
  const modelOut = run(
    process.execPath,
    ['dist/scripts/bench-model.js', '--json', '--model', model],
    build.dir,
    `bench:model of ${build.name}`,
  );
  return {
    api: lastJsonLine(api, `bench:api of ${build.name}`),
    model: lastJsonLine(modelOut, `bench:model of ${build.name}`),
  };
}
