/**
 * `npm run pipeline`: the local twin of .github/workflows/ci.yml. Runs the same npm scripts in
 * order (train, gate, lint, test, image build, end-to-end, local load test, action bundles), then
 * prints a table of the steps with their timings and verdicts and writes it to
 * reports/pipeline.md and reports/pipeline.json.
 *
 *   npm run pipeline                         every step
 *   npm run pipeline -- --skip image,e2e     without Docker
 *   npm run pipeline -- --only train,gate    just these
 *   npm run pipeline -- --fail-fast          stop at the first failure
 *   npm run pipeline -- --list               the steps, then exit
 *
 * A step whose prerequisite failed or was skipped is skipped, not run against stale output.
 * Exit: 0 when every step that ran passed, 1 otherwise, 2 on bad usage.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = join(__dirname, '..', '..');

/** One pipeline step: an npm script with its arguments, and the steps it needs. */
export interface PipelineStep {
  id: string;
  title: string;
  script: string;
  args?: string[];
  needs?: string[];
}

/** The steps of ci.yml, in the order a developer would want the feedback. */
export const STEPS: PipelineStep[] = [
  { id: 'train', title: 'train the models', script: 'train' },
  { id: 'gate', title: 'gate the models', script: 'gate', needs: ['train'] },
  { id: 'lint', title: 'lint', script: 'lint' },
  { id: 'typecheck', title: 'typecheck', script: 'typecheck' },
  { id: 'test', title: 'unit and integration tests', script: 'test' },
  { id: 'dist', title: 'action bundles match their sources', script: 'check:dist' },
  { id: 'image', title: 'build the image', script: 'image:build' },
  { id: 'e2e', title: 'end-to-end stack', script: 'test:e2e', needs: ['image'] },
  { id: 'loadtest', title: 'local load test (smoke) with reports', script: 'loadtest:local', args: ['--scenario', 'smoke', '--start-server'], needs: ['train'] },
];

/** The outcome of one step. */
export interface StepResult {
  id: string;
  title: string;
  command: string;
  status: 'passed' | 'failed' | 'skipped';
  seconds: number;
  note?: string;
}

/** The npm command line of a step, as a developer would type it. */
export function commandOf(step: PipelineStep): string {
  return ['npm', 'run', step.script, ...(step.args?.length ? ['--', ...step.args] : [])].join(' ');
}

/**
 * Runs the steps in order with `exec` (which returns the exit code). Skips the steps not
 * selected and those whose prerequisites did not pass; with `failFast`, skips everything after
 * the first failure.
 */
export function runSteps(
  steps: readonly PipelineStep[],
  selected: ReadonlySet<string>,
  exec: (step: PipelineStep) => number,
  options: { failFast?: boolean; now?: () => number } = {},
): StepResult[] {
  const now = options.now ?? (() => performance.now());
  const results: StepResult[] = [];
  const passed = new Set<string>();
  let stopped = false;
  for (const step of steps) {
    const base = { id: step.id, title: step.title, command: commandOf(step) };
    const blocker = (step.needs ?? []).find((need) => !passed.has(need));
    if (!selected.has(step.id) || stopped || blocker) {
      const note = !selected.has(step.id) ? 'not selected' : stopped ? 'an earlier step failed (--fail-fast)' : `needs ${blocker}`;
      results.push({ ...base, status: 'skipped', seconds: 0, note });
      continue;
    }
    const started = now();
    const code = exec(step);
    const seconds = (now() - started) / 1000;
    if (code === 0) passed.add(step.id);
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

function listOption(raw: string | undefined, name: string): string[] | undefined {
  if (raw === undefined) return undefined;
  const ids = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !STEPS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`--${name}: unknown step ${unknown.join(', ')} (steps: ${STEPS.map((s) => s.id).join(', ')})`);
  return ids;
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { skip: { type: 'string' }, only: { type: 'string' }, 'fail-fast': { type: 'boolean', default: false }, list: { type: 'boolean', default: false } },
  });
  if (values.list) {
    for (const step of STEPS) console.log(`${step.id.padEnd(10)} ${commandOf(step)}${step.needs ? `   (needs ${step.needs.join(', ')})` : ''}`);
    return 0;
  }
  const only = listOption(values.only, 'only');
  const skip = new Set(listOption(values.skip, 'skip') ?? []);
  const selected = new Set(STEPS.map((s) => s.id).filter((id) => (only ? only.includes(id) : true) && !skip.has(id)));

  const results = runSteps(
    STEPS,
    selected,
    (step) => {
      console.log(`\n=== pipeline: ${step.title}: ${commandOf(step)}`);
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const child = spawnSync(npm, ['run', step.script, ...(step.args?.length ? ['--', ...step.args] : [])], { cwd: ROOT, stdio: 'inherit' });
      return child.status ?? 1;
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
