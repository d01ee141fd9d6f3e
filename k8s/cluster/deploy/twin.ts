/**
 * deploy.yml's own jobs on the real cluster, through the pipeline twin (`npm run pipeline`): the
 * workflow's steps and scripts as the runner runs them, in a throwaway clone (the kind job edits
 * its overlay with `kustomize edit`), with kubectl and kustomize of the cluster's pinned versions on
 * PATH and KUBECONFIG naming the cluster, as kind and the runner's tools would give them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StepResult } from '../../../.github/scripts/pipeline/job-runner';

const ROOT = join(__dirname, '..', '..', '..');

export interface TwinRun {
  status: number;
  output: string;
  seconds: number;
  steps: StepResult[];
}

/** Where the twin runs: the clone, and the environment every step sees. */
export interface TwinSetting {
  clone: string;
  env: NodeJS.ProcessEnv;
  /** Sees the twin's output as it comes (e.g. to time the moment a line appears). */
  onOutput?: (text: string) => void;
}

/** A clone of this checkout's HEAD, for the twin to run deploy.yml in. */
export function cloneCheckout(dir: string): string {
  const clone = join(dir, 'clone');
  const result = spawnSync('git', ['clone', '-q', ROOT, clone], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git clone: ${result.stderr}`);
  return clone;
}

/** Puts the clone's files back (the kind job's `kustomize edit`, deploy-kubernetes.sh's). */
export function resetClone(clone: string): void {
  spawnSync('git', ['-C', clone, 'checkout', '--', '.'], { stdio: 'ignore' });
}

/** Runs one deploy.yml job (the `target` input picks it) and reads the twin's step report. */
export function runDeployJob(setting: TwinSetting, inputs: Record<string, string>, secrets: Record<string, string> = {}): Promise<TwinRun> {
  const { clone } = setting;
  const args = ['tsx', '.github/scripts/pipeline.ts', '--workflow', join(clone, '.github/workflows/deploy.yml'), '--workspace', clone,
    '--run-dir', join(clone, '.pipeline'), '--report-dir', join(clone, 'reports'), '--event', 'workflow_dispatch',
    ...Object.entries(inputs).flatMap(([key, value]) => ['--input', `${key}=${value}`]),
    ...Object.entries(secrets).flatMap(([key, value]) => ['--secret', `${key}=${value}`])];
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npx', args, { cwd: ROOT, env: setting.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    // Indented: the twin's own closing line is not one of the run's suite lines.
    const show = (chunk: Buffer): void => {
      output += chunk.toString();
      setting.onOutput?.(chunk.toString());
      process.stdout.write(chunk.toString().replace(/^(?=.)/gm, '  | '));
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    child.on('close', (status) => {
      const report = join(clone, 'reports', 'pipeline.json');
      const steps = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as { results: StepResult[] }).results : [];
      resolve({ status: status ?? 1, output, seconds: (Date.now() - start) / 1000, steps });
    });
  });
}

/** The twin's closing line, "pipeline: N passed, N failed, N skipped". */
export function closing(run: TwinRun): string {
  return /^pipeline: .*$/m.exec(run.output)?.[0] ?? 'no closing line';
}

/** A step of the run by (the start of) its title. */
export function step(run: TwinRun, title: string): StepResult | undefined {
  return run.steps.find((result) => result.step.startsWith(title));
}
