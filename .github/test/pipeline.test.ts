import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIONS } from '../scripts/pipeline/local-actions';
import { CI_WORKFLOW, jobOrder, readWorkflow, stepTitle } from '../scripts/pipeline/workflow';
import type { StepResult } from '../scripts/pipeline/job-runner';
import { ROOT } from '../../scripts/support/repo-root';

const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const PIPELINE = join(ROOT, '.github', 'scripts', 'pipeline.ts');

/** A git checkout holding the fixture workflow, and the twin run on it. */
function runTwin(
  event: 'push' | 'pull_request' | 'workflow_dispatch',
  extra: string[] = [],
): { code: number | null; results: StepResult[]; dir: string; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-twin-'));
  const git = (...args: string[]): void => void spawnSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  copyFileSync(join(__dirname, 'fixtures', 'twin-workflow.yml'), join(dir, 'workflow.yml'));
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'one');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'two', '--allow-empty');
  const run = spawnSync(
    TSX,
    [
      PIPELINE,
      '--workflow',
      join(dir, 'workflow.yml'),
      '--workspace',
      dir,
      '--run-dir',
      join(dir, '.run'),
      '--report-dir',
      join(dir, 'reports'),
      '--event',
      event,
      ...extra,
    ],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CODE: '' } },
  );
  const results = (JSON.parse(readFileSync(join(dir, 'reports', 'pipeline.json'), 'utf8')) as { results: StepResult[] })
    .results;
  return { code: run.status, results, dir, stdout: run.stdout };
}

const verdicts = (results: StepResult[]): string[] => results.map((r) => `${r.job}/${r.step}: ${r.verdict}`);

describe('npm run pipeline, the twin of ci.yml', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test(
    'when a workflow runs on push, then outputs, env, conditions, artifacts, failures and needs behave as on the ' +
      'runner',
    () => {
      const { code, results, dir, stdout } = runTwin('push');
      dirs.push(dir);
      expect(verdicts(results)).toEqual([
        'produce/Write an output: passed',
        'produce/Read it through env: passed',
        'produce/Only on pull requests: skipped',
        'produce/In a working directory: passed',
        'produce/actions/upload-artifact: passed',
        'consume/actions/download-artifact: passed',
        'consume/Allowed to fail: failed',
        'consume/Sees the soft failure: passed',
        'consume/Fails the job: failed',
        'consume/Never runs: skipped',
        'consume/Runs anyway: passed',
        'after/(job): skipped',
        'release/(calls ./.github/workflows/other.yml): github',
        'dispatched/(job): skipped',
      ]);
      // The output went through env and the step's GITHUB_ENV into the next step; the artifact kept its files.
      expect(readFileSync(join(dir, 'seen.txt'), 'utf8')).toBe('hello-push\nset-by-step\n');
      expect(existsSync(join(dir, 'out', 'pr.txt'))).toBe(false);
      expect([
        existsSync(join(dir, 'never.txt')),
        existsSync(join(dir, 'always.txt')),
        existsSync(join(dir, 'after.txt')),
      ]).toEqual([false, true, false]);
      expect(results.find((r) => r.step === 'Allowed to fail')?.note).toContain('continue-on-error');
      expect(results.find((r) => r.step === 'Fails the job')?.note).toBe('exit code 4');
      expect(results.find((r) => r.job === 'after')?.note).toBe('needs consume');
      // A failed step fails the twin; the closing line counts needs-GitHub and the soft failure as skipped.
      expect(code).toBe(1);
      expect(stdout).toContain('pipeline: 7 passed, 1 failed, 6 skipped');
    },
  );

  test('when the event is pull_request, then pull-request-only steps run and push-only jobs do not', () => {
    const { results, dir } = runTwin('pull_request');
    dirs.push(dir);
    expect(readFileSync(join(dir, 'out', 'word.txt'), 'utf8')).toBe('hello-pull_request\n');
    expect(results.find((r) => r.step === 'Only on pull requests')?.verdict).toBe('passed');
    expect(results.find((r) => r.job === 'release')).toMatchObject({
      verdict: 'skipped',
      note: "if: github.event_name == 'push' is false",
    });
  });

  test('when a manual run is given inputs, secrets and vars, then its expressions read them', () => {
    const { results, dir } = runTwin('workflow_dispatch', [
      '--input',
      'target=kind',
      '--secret',
      'TOKEN=s3cret',
      '--only',
      'dispatched',
    ]);
    dirs.push(dir);
    expect(verdicts(results)).toEqual(['dispatched/Reads inputs, secrets and vars: passed']);
    expect(readFileSync(join(dir, 'dispatched.txt'), 'utf8')).toBe('kind s3cret nowhere\n');
  });

  test('when ci.yml is listed, then every job and step appears in an order GitHub could run them', () => {
    const run = spawnSync(TSX, [PIPELINE, '--list'], { cwd: ROOT, encoding: 'utf8' });
    const workflow = readWorkflow(CI_WORKFLOW);
    const expected = jobOrder(workflow).flatMap((id) => [
      `${id}${workflow.jobs[id]!.uses ? ` (calls ${workflow.jobs[id]!.uses})` : ''}`,
      ...(workflow.jobs[id]!.steps ?? []).map((s, i) => `  ${s.uses ? 'uses' : 'run '}  ${stepTitle(s, i)}`),
    ]);
    expect(run.stdout.trimEnd().split('\n')).toEqual(expected);
    expect(run.status).toBe(0);
  });

  test('when ci.yml uses an action, then the twin has a local equivalent for it or says why not', () => {
    const workflow = readWorkflow(CI_WORKFLOW);
    const actions = Object.values(workflow.jobs)
      .flatMap((job) => (job.steps ?? []).map((s) => s.uses?.split('@')[0]))
      .filter((a): a is string => !!a && !a.startsWith('./'));
    expect([...new Set(actions)].filter((action) => !(action in ACTIONS))).toEqual([]);
  });

  test('when the twin is given an unknown job, then it exits 2 with one line naming the jobs', () => {
    const run = spawnSync(TSX, [PIPELINE, '--only', 'nope', '--run-dir', join(tmpdir(), 'mlship-twin-nope')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toMatch(/^pipeline: no job nope in the workflow \(jobs: lint, test, .*release\)$/);
  });
});
