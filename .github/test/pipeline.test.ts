import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderTable, runSteps, selectSteps, skipReasonsFor } from '../scripts/pipeline';
import type { PipelineStep } from '../scripts/pipeline';
import { CI_WORKFLOW, readPipelineSteps, stepsFromWorkflow } from '../scripts/pipeline-steps';

const ROOT = join(__dirname, '..', '..');

const steps: PipelineStep[] = [
  { id: 'train', title: 'train', job: 'model', command: 'npm run train', needs: [] },
  { id: 'gate', title: 'gate', job: 'model', command: 'npm run gate', needs: ['train'] },
  { id: 'lint', title: 'lint', job: 'lint', command: 'npm run lint', needs: [] },
];
const none = new Map<string, string>();

/** A clock that advances one second per call, so timings are exact. */
function clock(): () => number {
  let t = 0;
  return () => (t += 1000);
}

/** ci.yml's steps read straight from its text, in file order: what --list must print. */
function ciCommandsFromText(): string[] {
  const commands: string[] = [];
  for (const line of readFileSync(CI_WORKFLOW, 'utf8').split('\n')) {
    const run = /^\s+(?:-\s+)?run:\s+(npm\s+(?:run|test)\b.*)$/.exec(line);
    if (run) commands.push(run[1]!.trim());
    if (/^\s+(?:-\s+)?uses:\s+docker\/build-push-action@/.test(line)) commands.push('npm run image:build');
  }
  return commands;
}

describe('pipeline', () => {
  test('when every step passes, then each is timed and the table says so', () => {
    const results = runSteps(steps, none, () => 0, { now: clock() });
    expect(results.map((r) => [r.id, r.status, r.seconds])).toEqual([['train', 'passed', 1], ['gate', 'passed', 1], ['lint', 'passed', 1]]);
    expect(renderTable(results)).toContain('✅ 3 of 3 steps passed, 0 skipped, 3.0 s in all');
  });

  test('when a step fails, then the steps that need it are skipped and the others still run', () => {
    const ran: string[] = [];
    const results = runSteps(steps, none, (s) => (ran.push(s.id), s.id === 'train' ? 2 : 0), { now: clock() });
    expect(ran).toEqual(['train', 'lint']);
    expect(results.find((r) => r.id === 'gate')).toMatchObject({ status: 'skipped', note: 'needs train' });
    expect(results.find((r) => r.id === 'train')).toMatchObject({ status: 'failed', note: 'exit code 2' });
    expect(renderTable(results)).toContain('❌ 1 of 2 steps passed, 1 skipped');
  });

  test('when --fail-fast is set, then nothing runs after the first failure', () => {
    const results = runSteps(steps, none, () => 1, { failFast: true, now: clock() });
    expect(results.map((r) => r.status)).toEqual(['failed', 'skipped', 'skipped']);
  });

  test('when a step is skipped for a reason, then the reason is its note and what needs it still runs', () => {
    const results = runSteps(steps, new Map([['train', 'skipped (--skip)']]), () => 0, { now: clock() });
    expect(results.map((r) => r.note ?? r.status)).toEqual(['skipped (--skip)', 'passed', 'passed']);
  });

  test('when --list runs, then it prints exactly ci.yml\'s npm steps in its jobs\' order', () => {
    const listed = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '.github/scripts/pipeline.ts', '--list'], { cwd: ROOT, encoding: 'utf8' });
    expect(listed.stderr).toBe('');
    const commands = listed.stdout.trim().split('\n').map((line) => line.replace(/^\S+\s+/, '').replace(/\s{3}\(GitHub only: .*\)$/, ''));
    expect(commands).toEqual(ciCommandsFromText());
    expect(commands).toEqual(expect.arrayContaining(['npm run lint', 'npm run train -- --promote', 'npm run gate', 'npm run image:build']));
  });

  test('when ci.yml gains an npm step, then the pipeline has it, after what its job needs', () => {
    const workflow = parse(readFileSync(CI_WORKFLOW, 'utf8')) as { jobs: Record<string, unknown> };
    workflow.jobs.extra = { needs: ['model'], steps: [{ run: 'npm ci' }, { run: 'npm run bench:model' }] };
    const added = stepsFromWorkflow(workflow as never).find((s) => s.id === 'bench:model');
    expect(added).toMatchObject({ job: 'extra', command: 'npm run bench:model', needs: ['gate'] });
  });

  test('when an npm step cannot run verbatim or two steps share an id, then reading ci.yml fails with one line', () => {
    expect(() => stepsFromWorkflow({ jobs: { a: { steps: [{ run: 'npm run lint -- "$X"' }] } } })).toThrow(/one plain command line/);
    expect(() => stepsFromWorkflow({ jobs: { a: { steps: [{ run: 'npm run lint' }, { run: 'npm run lint' }] } } })).toThrow(/two pipeline steps are called lint/);
  });

  test('when .ci/run asks for --only train,gate, then exactly the model job\'s local steps are selected', () => {
    const ciSteps = readPipelineSteps();
    expect([...selectSteps(ciSteps, 'train,gate', 'only')]).toEqual(['train', 'gate']);
    expect(ciSteps.find((s) => s.id === 'gate')?.needs).toEqual(['train']);
    expect(() => selectSteps(ciSteps, 'e2e', 'skip')).toThrow(/unknown step e2e/);
  });

  test('when Docker is missing or a step is GitHub-only, then the pipeline says why it skips it', () => {
    const ciSteps = readPipelineSteps();
    const reasons = skipReasonsFor(ciSteps, {}, () => false);
    expect(reasons.get('image')).toMatch(/needs Docker/);
    expect(reasons.get('train-baseline')).toMatch(/GitHub only: runs only when `github.event_name == 'pull_request'`/);
    expect(reasons.has('train')).toBe(false);
    expect(skipReasonsFor(ciSteps, { skip: selectSteps(ciSteps, 'image', 'skip') }, () => true).get('image')).toBe('left out with --skip');
  });
});
