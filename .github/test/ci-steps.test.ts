import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Step } from './support/workflow-files';
import { readWorkflows } from './support/workflow-files';

/**
 * ci.yml's own shell steps, run as the runner runs them (`bash --noprofile --norc -eo pipefail`)
 * in a scratch folder, with a stand-in for the one tool whose failure each test is about.
 */
const workflows = Object.fromEntries(readWorkflows().map(({ file, workflow }) => [file, workflow]));
const stepOf = (job: string, name: string): Step => {
  const step = workflows['ci.yml']!.jobs[job]!.steps!.find((s) => s.name === name);
  if (!step?.run) throw new Error(`ci.yml job ${job} has no run: step named ${name}`);
  return step;
};

/** Runs a step's script with `tools` (name -> shell body) first on PATH; returns what it did. */
function runStep(
  step: Step,
  tools: Record<string, string>,
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-ci-step-'));
  const bin = join(dir, '.bin');
  mkdirSync(bin);
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  writeFileSync(join(dir, '.step.sh'), step.run!);
  const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, String(v)]));
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '.step.sh'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...stepEnv, ...env, PATH: `${bin}:${process.env.PATH ?? ''}`, RUNNER_TEMP: dir },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, dir };
}

describe("ci.yml's shell steps, run", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  test(
    'when the container never started, then "Container logs" still writes reports/container.log and warns, ' +
      'instead of losing the log',
    () => {
      const run = runStep(stepOf('image', 'Container logs'), {
        docker: 'echo "Error: No such container: mlship-ci" >&2; exit 1',
      });
      dirs.push(run.dir);
      expect(run.code).toBe(0);
      expect(existsSync(join(run.dir, 'reports', 'container.log'))).toBe(true);
      expect(readFileSync(join(run.dir, 'reports', 'container.log'), 'utf8')).toContain('No such container');
      expect(run.stdout).toContain('::warning title=container logs::');
    },
  );

  test('when the container ran, then its log is the file', () => {
    const run = runStep(stepOf('image', 'Container logs'), { docker: 'echo "{\\"msg\\":\\"listening\\"}"' });
    dirs.push(run.dir);
    expect([run.code, readFileSync(join(run.dir, 'reports', 'container.log'), 'utf8')]).toEqual([
      0,
      '{"msg":"listening"}\n',
    ]);
  });

  test(
    'when the actionlint download fails, then the download step fails and says so, instead of running an empty ' +
      'script',
    () => {
      const run = runStep(stepOf('workflows', 'Download actionlint'), {
        curl: 'echo "curl: (22) The requested URL returned error: 404" >&2; exit 22',
      });
      dirs.push(run.dir);
      expect(run.code).toBe(22);
      expect(run.stderr).toContain('curl: (22)');
    },
  );

  test('when the download works, then the script runs with the pinned version', () => {
    // The stand-in curl writes a download script that records its argument.
    const curl =
      'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; printf \'echo "$1" > version.txt\\n\' ' +
      '> "$out"';
    const run = runStep(stepOf('workflows', 'Download actionlint'), { curl });
    dirs.push(run.dir);
    expect([run.code, readFileSync(join(run.dir, 'version.txt'), 'utf8').trim()]).toEqual([0, '1.7.12']);
  });

  test(
    'when an attestation is pushed to the registry, then its storage record is off or the job may write artifact ' +
      'metadata',
    () => {
      const problems: string[] = [];
      for (const [file, workflow] of Object.entries(workflows)) {
        for (const [id, job] of Object.entries(workflow.jobs)) {
          const permissions = (job.permissions ?? {}) as Record<string, string>;
          for (const step of job.steps ?? []) {
            if (
              !step.uses?.startsWith('actions/attest-build-provenance@') ||
              String(step.with?.['push-to-registry']) !== 'true'
            )
              continue;
            if (
              String(step.with?.['create-storage-record']) !== 'false' &&
              permissions['artifact-metadata'] !== 'write'
            )
              problems.push(`${file}:${id}: ${step.name}`);
          }
        }
      }
      expect(problems).toEqual([]);
    },
  );
});
