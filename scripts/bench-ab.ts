import { resolve } from 'node:path';
import type { Build } from './bench/ab-builds';
import { benchBuild, buildIn, prepareWorktree, resolveCommit } from './bench/ab-builds';
import type { RoundResult } from './bench/ab-figures';
import { compare, comparisonTable } from './bench/ab-figures';
import { parseAbOptions } from './bench/ab-options';

/**
 * A/B of two builds in one run: a git ref (built in a temporary worktree with its own
 * node_modules) against this checkout, their bench:api and bench:model run alternately, old then
 * new, for N rounds. On a shared machine the speed moves from minute to minute, so only figures
 * taken next to each other compare; the medians and new / old per figure are printed as a
 * markdown table (or one JSON line with --json).
 */
const ROOT = resolve(__dirname, '..');
const log = (line: string): void => console.error(line);

function runRounds(
  old: Build,
  now: Build,
  rounds: number,
  seconds: number,
  model: string,
): { old: RoundResult[]; new: RoundResult[] } {
  const results = { old: [] as RoundResult[], new: [] as RoundResult[] };
  for (let round = 1; round <= rounds; round++) {
    for (const [side, build] of [
      ['old', old],
      ['new', now],
    ] as const) {
      log(`bench:ab: round ${round} of ${rounds}, ${side} (${build.name})`);
      results[side].push(benchBuild(build, seconds, model));
    }
  }
  return results;
}

function main(): void {
  const options = parseAbOptions(process.argv.slice(2));
  const commit = resolveCommit(ROOT, options.against);
  const now: Build = { name: 'this checkout', dir: ROOT };
  buildIn(ROOT, 'building this checkout', log);
  const old = prepareWorktree(ROOT, commit, log);
  const stop = (): void => {
    old.remove();
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const oldName = commit.startsWith(options.against) ? old.name : `${options.against} (${old.name})`;
    const results = runRounds({ ...old, name: oldName }, now, options.rounds, options.seconds, options.model);
    const comparisons = compare(results.old, results.new, options.tolerancePercent);
    if (options.json) {
      console.log(
        JSON.stringify({
          against: options.against,
          commit,
          rounds: options.rounds,
          seconds: options.seconds,
          model: options.model,
          results,
          comparisons,
        }),
      );
    } else {
      console.log(
        `A/B: ${oldName} (old) against this checkout (new), ${options.rounds} rounds, old then new; bench:api ` +
          `--seconds ${options.seconds}, bench:model --model ${options.model}\n`,
      );
      console.log(comparisonTable(comparisons, 'old', 'new', options.tolerancePercent));
    }
  } finally {
    old.remove();
  }
}

try {
  main();
} catch (error) {
  console.error(`bench:ab: ${(error as Error).message}`);
  process.exitCode = 1;
}
