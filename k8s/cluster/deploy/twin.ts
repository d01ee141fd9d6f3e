/**
 * deploy.yml's own jobs on the real cluster, through the pipeline twin (`npm run pipeline`): the
 * workflow's steps and scripts as the runner runs them, in this checkout, with kubectl and
 * kustomize of the cluster's pinned versions on PATH and KUBECONFIG naming the cluster, as kind
 * and the runner's tools would give them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { StepResult } from '../../../.github/scripts/pipeline/job-runner';
import type { Shown } from '../shown-process';
import { runShown } from '../shown-process';
import { ROOT } from '../../../scripts/support/repo-root';

export interface TwinRun extends Shown {
  steps: StepResult[];
}

/** Where the twin runs: the checkout and its run folders, and the environment every step sees. */
export interface TwinSetting {
  workspace: string;
  runDir: string;
  reportDir: string;
  env: NodeJS.ProcessEnv;
  /** Sees the twin's output as it comes (e.g. to time the moment a line appears). */
  onOutput?: (text: string) => void;
}

/**
 * What deploy.yml's jobs write into their checkout: `kustomize edit set image` in the overlays,
 * and deploy-kubernetes.sh's secret files (git-ignored). Before: none may hold a change of the
 * developer's (refused in one line, nothing lost); after: each is put back.
 */
const EDITED = ['k8s/overlays/kind/kustomization.yaml', 'k8s/overlays/production/kustomization.yaml'];
const WRITTEN = ['k8s/base/secrets/secrets.env', 'k8s/base/secrets/users.txt'];
const LOGS = ['cluster-state.txt', 'port-forward.log'];

/**
 * The jobs run in this checkout, as the runner runs them in its own: its node_modules is the one
 * the ci.yml rehearsal installed (the twin then skips `npm ci` while package-lock.json is
 * unchanged, instead of a clone's 50 s install), and its uncommitted changes are the ones tried.
 * The twin's run folder and reports go to `dir`, not over ci.yml's.
 */
export function prepareCheckout(dir: string): {
  workspace: string;
  runDir: string;
  reportDir: string;
  restore: () => void;
} {
  const changed = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', ...EDITED], {
    encoding: 'utf8',
  }).stdout.trim();
  if (changed)
    throw new Error(
      `deploy-check: commit or stash your changes to ${EDITED.join(' or ')} first: deploy.yml's jobs edit them (` +
        `${changed.replace(/\n/g, '; ')})`,
    );
  const present = WRITTEN.filter((file) => existsSync(join(ROOT, file)));
  if (present.length > 0)
    throw new Error(
      `deploy-check: ${present.join(' and ')} exist: the kubernetes job would overwrite them; move them away first`,
    );
  // deploy-kubernetes.sh's logs (git-ignored): a developer's own copies stay.
  const logs = LOGS.filter((file) => !existsSync(join(ROOT, file)));
  return {
    workspace: ROOT,
    runDir: join(dir, 'pipeline'),
    reportDir: join(dir, 'reports'),
    restore: () => {
      spawnSync('git', ['-C', ROOT, 'checkout', '--', ...EDITED], { stdio: 'ignore' });
      for (const file of [...WRITTEN, ...logs]) rmSync(join(ROOT, file), { force: true });
    },
  };
}

/** Runs one deploy.yml job (the `target` input picks it) and reads the twin's step report. */
export async function runDeployJob(
  setting: TwinSetting,
  inputs: Record<string, string>,
  secrets: Record<string, string> = {},
): Promise<TwinRun> {
  const { workspace, runDir, reportDir } = setting;
  const args = [
    'tsx',
    '.github/scripts/pipeline.ts',
    '--workflow',
    join(workspace, '.github/workflows/deploy.yml'),
    '--workspace',
    workspace,
    '--run-dir',
    runDir,
    '--report-dir',
    reportDir,
    '--event',
    'workflow_dispatch',
    ...Object.entries(inputs).flatMap(([key, value]) => ['--input', `${key}=${value}`]),
    ...Object.entries(secrets).flatMap(([key, value]) => ['--secret', `${key}=${value}`]),
  ];
  const run = await runShown('npx', args, { cwd: ROOT, env: setting.env, onOutput: setting.onOutput });
  const report = join(reportDir, 'pipeline.json');
  const steps = existsSync(report)
    ? (JSON.parse(readFileSync(report, 'utf8')) as { results: StepResult[] }).results
    : [];
  return { ...run, steps };
}

/** The twin's closing line, "pipeline: N passed, N failed, N skipped". */
export function closing(run: TwinRun): string {
  return /^pipeline: .*$/m.exec(run.output)?.[0] ?? 'no closing line';
}

/** A step of the run by (the start of) its title. */
export function step(run: TwinRun, title: string): StepResult | undefined {
  return run.steps.find((result) => result.step.startsWith(title));
}
