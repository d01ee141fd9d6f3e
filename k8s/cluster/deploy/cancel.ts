/**
 * deploy.yml's kubernetes job cancelled on the real cluster, as GitHub's runner cancels a step:
 * the deploy step's `run:` text in a file, started as the runner starts it, gets SIGINT (to its
 * shell alone) once the apply has gone through, SIGTERM 7.5 s later and a kill of its whole tree
 * 2.5 s after that, if it still runs. Then the job's rollback step runs when its `if:` holds for a
 * cancelled run, with the outputs the deploy step wrote. With `cutShort`, the kill of the tree
 * follows the SIGINT at once, before the script's trap can undo anything (a runner gone at the
 * worst moment): the rollback step must do the whole rollback.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExpressionContext } from '../../../.github/scripts/pipeline/expressions';
import { ExpressionEvaluator } from '../../../.github/scripts/pipeline/expressions';
import { parseFileCommand, shellCommand } from '../../../.github/scripts/pipeline/shell-step';
import type { Job, Step } from '../../../.github/scripts/pipeline/workflow';
import { readWorkflow } from '../../../.github/scripts/pipeline/workflow';
import { ROOT } from '../../../scripts/support/repo-root';
import type { Shown } from '../shown-process';
import { runShown } from '../shown-process';

const SIGTERM_AFTER_MS = 7500;
const KILL_AFTER_MS = 2500;

export interface CancelledJob {
  deploy: Shown;
  /** The signals the deploy step's shell got, in order ('SIGKILL' for the kill of its tree). */
  signals: string[];
  /** The deploy step's `previous` output. */
  previous: string;
  /** The rollback step's run, when its condition held. */
  rollback?: Shown;
}

export interface CancelSetting {
  /** The environment the runner gives every step (PATH, KUBECONFIG from the kubeconfig step). */
  env: NodeJS.ProcessEnv;
  /** The repository secrets the job's steps read. */
  secrets: Record<string, string>;
  /** The image reference the image step would output (REPOSITORY@sha256:…). */
  image: string;
  cutShort: boolean;
}

/** The job's step by a test on it; throws naming what is missing (deploy.yml changed shape). */
function findStep(job: Job, what: string, test: (step: Step) => boolean): Step {
  const step = job.steps?.find(test);
  if (!step) throw new Error(`deploy.yml's kubernetes job has no ${what}`);
  return step;
}

/** Runs one step's `run:` as the runner does; `onStart` sees the shell's process. */
async function runStep(
  evaluator: ExpressionEvaluator,
  step: Step,
  job: Job,
  at: { context: ExpressionContext; env: NodeJS.ProcessEnv; dir: string },
  hooks: { onOutput?: (text: string) => void; onStart?: (child: ChildProcess) => void } = {},
): Promise<{ run: Shown; outputs: Record<string, string> }> {
  const status = { failed: false, cancelled: true };
  const file = join(at.dir, `step-${step.id ?? 'run'}.sh`);
  const outputs = join(at.dir, `outputs-${step.id ?? 'run'}`);
  writeFileSync(file, evaluator.interpolate(step.run ?? '', at.context, status));
  writeFileSync(outputs, '');
  const stepEnv = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([name, value]) => [
      name,
      evaluator.interpolate(String(value), at.context, status),
    ]),
  );
  const [command, ...args] = shellCommand(step.shell ?? job.defaults?.run?.shell, file);
  const run = await runShown(command!, args, {
    cwd: ROOT,
    env: { ...at.env, ...stepEnv, GITHUB_OUTPUT: outputs },
    detached: true,
    ...hooks,
  });
  return { run, outputs: parseFileCommand(readFileSync(outputs, 'utf8')) };
}

/** Sends the runner's cancellation to `child`; resolves the signals sent once it is stopped. */
function cancelOnceApplied(cutShort: boolean): {
  onStart: (child: ChildProcess) => void;
  onOutput: (text: string) => void;
  signals: string[];
} {
  const signals: string[] = [];
  let child: ChildProcess | undefined;
  let seen = '';
  const timers: NodeJS.Timeout[] = [];
  const send = (signal: NodeJS.Signals, tree = false): void => {
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    signals.push(signal);
    process.kill(tree ? -child.pid : child.pid, signal);
  };
  return {
    signals,
    onStart: (started) => {
      child = started;
      started.once('close', () => timers.forEach(clearTimeout));
    },
    onOutput: (text) => {
      seen += text;
      const applied = /deployment\.apps\/api configured/.test(seen) && /deployment\.apps\/api-v2 configured/.test(seen);
      if (!applied || signals.length > 0) return;
      send('SIGINT');
      if (cutShort) return send('SIGKILL', true);
      timers.push(setTimeout(() => send('SIGTERM'), SIGTERM_AFTER_MS));
      timers.push(setTimeout(() => send('SIGKILL', true), SIGTERM_AFTER_MS + KILL_AFTER_MS));
    },
  };
}

/** The kubernetes job's deploy step cancelled once applied, then its rollback step if it runs. */
export async function cancelKubernetesJob(setting: CancelSetting): Promise<CancelledJob> {
  const job = readWorkflow(join(ROOT, '.github/workflows/deploy.yml')).jobs.kubernetes!;
  const deployStep = findStep(job, 'step with id deploy', (step) => step.id === 'deploy');
  const rollbackStep = findStep(job, 'rollback step', (step) => /steps\.deploy\.outputs\.previous/.test(step.if ?? ''));
  const evaluator = await ExpressionEvaluator.create();
  const dir = mkdtempSync(join(tmpdir(), 'mlship-cancel-'));
  try {
    const context: ExpressionContext = {
      secrets: setting.secrets,
      vars: {},
      github: { repository_owner: 'mlship', actor: 'mlship' },
      steps: { image: { outputs: { ref: setting.image } } },
    };
    const cancel = cancelOnceApplied(setting.cutShort);
    const deploy = await runStep(evaluator, deployStep, job, { context, env: setting.env, dir }, cancel);
    const previous = deploy.outputs.previous ?? '';
    const after = { ...context, steps: { ...(context.steps as object), deploy: { outputs: deploy.outputs } } };
    const runs = evaluator.condition(rollbackStep.if, after, { failed: false, cancelled: true });
    const rollback = runs
      ? (await runStep(evaluator, rollbackStep, job, { context: after, env: setting.env, dir })).run
      : undefined;
    return { deploy: deploy.run, signals: cancel.signals, previous, ...(rollback ? { rollback } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
