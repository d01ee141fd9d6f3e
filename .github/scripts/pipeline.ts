/**
 * `npm run pipeline`: the local twin of .github/workflows/ci.yml. Reads ci.yml and runs its npm
 * steps (every `npm run …` / `npm test …` step of its jobs, in the jobs' order, and
 * `npm run image:build` for its image build), says which steps it skips here and why, then prints
 * a table of the steps with their timings and verdicts and writes it to reports/pipeline.md and
 * reports/pipeline.json.
 *
 *   npm run pipeline                         every step
 *   npm run pipeline -- --skip image         without Docker (a step id or a ci.yml job name)
 *   npm run pipeline -- --only train,gate    just these
 *   npm run pipeline -- --fail-fast          stop at the first failure
 *   npm run pipeline -- --list               the steps, then exit
 *
 * A step whose prerequisite failed is skipped, not run against stale output; a step ci.yml runs
 * only on GitHub (an `if:` on the event, another checkout) is skipped with that reason.
 * Exit: 0 when every step that ran passed, 1 otherwise, 2 on bad usage.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PipelineStep } from './pipeline-steps';
import { readPipelineSteps } from './pipeline-steps';

export type { PipelineStep } from './pipeline-steps';

const ROOT = join(__dirname, '..', '..');

/** The outcome of one step. */
export interface StepResult {
  id: string;
  title: string;
  command: string;
  status: 'passed' | 'failed' | 'skipped';
  seconds: number;
  note?: string;
}

/**
 * Runs the selected steps in order with `exec` (which returns the exit code). `skipReasons` says
 * why an unselected step is skipped; a step whose prerequisite failed or was skipped for a failure
 * is skipped too; with `failFast`, everything after the first failure is.
 */
export function runSteps(
  steps: readonly PipelineStep[],
  skipReasons: ReadonlyMap<string, string>,
  exec: (step: PipelineStep) => number,
  options: { failFast?: boolean; now?: () => number } = {},
): StepResult[] {
  const now = options.now ?? (() => performance.now());
  const results: StepResult[] = [];
  const broken = new Set<string>();
  let stopped = false;
  for (const step of steps) {
    const base = { id: step.id, title: step.title, command: step.command };
    const blocker = step.needs.find((need) => broken.has(need));
    const reason = skipReasons.get(step.id);
    if (reason || stopped || blocker) {
      if (!reason) broken.add(step.id);
      const note = reason ?? (stopped ? 'an earlier step failed (--fail-fast)' : `needs ${blocker}`);
      results.push({ ...base, status: 'skipped', seconds: 0, note });
      continue;
    }
    const started = now();
    const code = exec(step);
    const seconds = (now() - started) / 1000;
    if (code !== 0) broken.add(step.id);
    results.push({ ...base, status: code === 0 ? 'passed' : 'failed', seconds, ...(code === 0 ? {} : { note: `exit code ${code}` }) });
    if (code !== 0 && options.failFast) stopped = true;
  }
  return results;
}

const ICON = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;

/** The results as a markdown table with a total line. */
export function renderTable(results: readonly StepResult[]): string {
  const lines = ['| step | command | result | time |', '|---|---|---|---|'];
  for (const r of results) {
    lines.push(`| ${r.title} | \`${r.command}\` | ${ICON[r.status]} ${r.status}${r.note ? ` (${r.note})` : ''} | ${r.status === 'skipped' ? '–' : `${r.seconds.toFixed(1)} s`} |`);
  }
  const ran = results.filter((r) => r.status !== 'skipped');
  const failed = results.filter((r) => r.status === 'failed');
  const total = ran.reduce((sum, r) => sum + r.seconds, 0);
  lines.push('', `${failed.length === 0 ? '✅' : '❌'} ${ran.length - failed.length} of ${ran.length} steps passed, ${results.length - ran.length} skipped, ${total.toFixed(1)} s in all`);
  return lines.join('\n') + '\n';
}

/** The step ids a comma-separated `--only`/`--skip` names (step ids or ci.yml job names). */
export function selectSteps(steps: readonly PipelineStep[], raw: string, option: string): Set<string> {
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((name) => !steps.some((s) => s.id === name || s.job === name));
  if (unknown.length > 0) throw new Error(`--${option}: unknown step ${unknown.join(', ')} (steps: ${steps.map((s) => s.id).join(', ')}; or a ci.yml job name)`);
  return new Set(steps.filter((s) => names.includes(s.id) || names.includes(s.job)).map((s) => s.id));
}

/** Why each step will not run here: not selected, only on GitHub, or Docker missing for the image. */
export function skipReasonsFor(
  steps: readonly PipelineStep[],
  selection: { only?: ReadonlySet<string>; skip?: ReadonlySet<string> },
  hasDocker: () => boolean,
): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const step of steps) {
    if (selection.only && !selection.only.has(step.id)) reasons.set(step.id, 'not selected');
    else if (selection.skip?.has(step.id)) reasons.set(step.id, 'left out with --skip');
    else if (step.githubOnly) reasons.set(step.id, `GitHub only: ${step.githubOnly}`);
    else if (step.job === 'image' && !hasDocker()) reasons.set(step.id, 'needs Docker (`docker info` failed here); --skip image to silence');
  }
  return reasons;
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { skip: { type: 'string' }, only: { type: 'string' }, 'fail-fast': { type: 'boolean', default: false }, list: { type: 'boolean', default: false } },
  });
  const steps = readPipelineSteps();
  if (values.list) {
    for (const step of steps) console.log(`${step.id.padEnd(16)} ${step.command}${step.githubOnly ? `   (GitHub only: ${step.githubOnly})` : ''}`);
    return 0;
  }
  const only = values.only === undefined ? undefined : selectSteps(steps, values.only, 'only');
  const skip = values.skip === undefined ? undefined : selectSteps(steps, values.skip, 'skip');
  let docker: boolean | undefined;
  const hasDocker = (): boolean => (docker ??= spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0);
  const reasons = skipReasonsFor(steps, { ...(only ? { only } : {}), ...(skip ? { skip } : {}) }, hasDocker);
  for (const step of steps) {
    const reason = reasons.get(step.id);
    if (reason && !reason.startsWith('not selected')) console.log(`pipeline: skipping ${step.id} (${step.command}): ${reason}`);
  }

  const results = runSteps(
    steps,
    reasons,
    (step) => {
      console.log(`\n=== pipeline: ${step.title}: ${step.command}`);
      const [program, ...args] = step.command.split(/\s+/);
      const npm = process.platform === 'win32' && program === 'npm' ? 'npm.cmd' : program!;
      return spawnSync(npm, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1;
    },
    { failFast: values['fail-fast'] },
  );

  const table = renderTable(results);
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  writeFileSync(join(ROOT, 'reports', 'pipeline.md'), `## mlship pipeline\n\n${table}`);
  writeFileSync(join(ROOT, 'reports', 'pipeline.json'), JSON.stringify({ results }, null, 2) + '\n');
  console.log(`\n${table}\nwritten: reports/pipeline.md, reports/pipeline.json`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`pipeline: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  }
}
