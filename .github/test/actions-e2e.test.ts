import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeModelsFile, writeRegistry } from './support/registry-fixture';
import { ROOT } from '../../scripts/support/repo-root';

/**
 * Runs each committed bundle, `.github/actions/<name>/dist/index.js`, as the runner does: inputs in
 * INPUT_* variables, the job summary and outputs in the files GITHUB_STEP_SUMMARY and GITHUB_OUTPUT
 * name. This proves the bundle (not just the sources) works; check:dist proves it is up to date.
 */

interface ActionRun {
  status: number | null;
  stdout: string;
  summary: string;
  outputs: Record<string, string>;
}

/** Parses GITHUB_OUTPUT's `name<<delimiter … delimiter` records. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const record = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(record)) outputs[m[1]!] = m[3]!;
  return outputs;
}

function runAction(name: string, inputs: Record<string, string>, dir: string): ActionRun {
  const summaryFile = join(dir, 'step-summary.md');
  const outputFile = join(dir, 'github-output');
  writeFileSync(summaryFile, '');
  writeFileSync(outputFile, '');
  // A clean environment: nothing of the developer's or CI's own GITHUB_*/INPUT_* leaks in.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_OUTPUT: outputFile,
  };
  for (const [key, value] of Object.entries(inputs)) env[`INPUT_${key.toUpperCase()}`] = value;
  const result = spawnSync(process.execPath, [join(ROOT, '.github', 'actions', name, 'dist', 'index.js')], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return {
    status: result.status,
    stdout: result.stdout,
    summary: readFileSync(summaryFile, 'utf8'),
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
  };
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'actions-e2e-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('bundled actions, run as the runner runs them', () => {
  test(
    'when model-gate runs on a registry that regressed against main, then it writes the table and outputs and ' +
      'exits 1',
    () => {
      const candidates = writeRegistry(join(dir, 'pr'), [
        { name: 'M1', version: 'aaaaaaaaaaa1', accuracy: 0.95, macroF1: 0.95, pointer: 'latest' },
        { name: 'M2', version: 'aaaaaaaaaaa2', accuracy: 0.92, macroF1: 0.91, pointer: 'latest' },
      ]);
      const main = writeRegistry(join(dir, 'main'), [
        { name: 'M2', version: 'bbbbbbbbbbb2', accuracy: 0.97, macroF1: 0.97, pointer: 'current' },
      ]);
      const run = runAction(
        'model-gate',
        {
          'model-dir': candidates,
          'baseline-dir': main,
          'models-file': writeModelsFile(join(dir, 'models.json')),
          'report-file': join(dir, 'out', 'gate.md'),
          'fail-on-regression': 'true',
          'pr-comment': 'false',
        },
        dir,
      );
      expect(run.status).toBe(1);
      expect(run.stdout).toContain('::error::model gate failed for M2');
      expect(run.summary).toContain('### Model gate: ❌ failed');
      expect(run.summary).toContain('| M2 | aaaaaaaaaaa2 | accuracy | 0.9200 | 0.9700 | -0.0500 | ≥ 0.9 | **fail**');
      expect(run.summary).toContain('No baseline for M1: thresholds only.');
      expect(run.outputs).toMatchObject({ passed: 'false', 'failed-models': 'M2' });
      expect(run.outputs.markdown).toBe(run.summary.replace(/\n\n$/, '\n').trimEnd() + '\n');
      expect(readFileSync(join(dir, 'out', 'gate.md'), 'utf8')).toBe(run.outputs.markdown);
    },
  );

  test('when model-gate runs on passing models, then it exits 0 with passed=true', () => {
    const candidates = writeRegistry(join(dir, 'pr'), [
      { name: 'M1', version: 'aaaaaaaaaaa1', accuracy: 0.95, macroF1: 0.95, pointer: 'latest' },
      { name: 'M2', version: 'aaaaaaaaaaa2', accuracy: 0.96, macroF1: 0.96, pointer: 'current' },
    ]);
    const run = runAction(
      'model-gate',
      { 'model-dir': candidates, 'models-file': writeModelsFile(join(dir, 'models.json')) },
      dir,
    );
    expect(run.status).toBe(0);
    expect(run.outputs.passed).toBe('true');
    expect(JSON.parse(run.outputs.results ?? '[]')).toHaveLength(2);
  });

  test('when k6-report runs on a breached summary, then it writes summary, JUnit, HTML and outputs and exits 1', () => {
    const summary = join(dir, 'summary.json');
    copyFileSync(join(ROOT, '.github', 'actions', 'k6-report', 'test', 'fixtures', 'http-failed.json'), summary);
    const run = runAction('k6-report', { summary, title: 'k6 load', 'fail-on-threshold': 'true' }, dir);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      '::error::k6 thresholds failed: http_req_duration: p(95)<500; http_req_failed: rate<0.01',
    );
    expect(run.summary).toContain('❌ k6 load: failed');
    expect(run.outputs).toMatchObject({
      passed: 'false',
      p95: '612.5',
      p99: '233',
      requests: '3000',
      junit: join(dir, 'junit.xml'),
      html: join(dir, 'report.html'),
    });
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8').match(/<failure/g)).toHaveLength(2);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('k6 load');
  });

  test('when k6-report runs on a passing summary, then it exits 0', () => {
    const summary = join(dir, 'summary.json');
    copyFileSync(join(ROOT, '.github', 'actions', 'k6-report', 'test', 'fixtures', 'http-passed.json'), summary);
    const run = runAction('k6-report', { summary }, dir);
    expect(run.status).toBe(0);
    expect(run.outputs.passed).toBe('true');
    expect(run.summary).toContain('✅ k6 load test: passed');
  });
});
