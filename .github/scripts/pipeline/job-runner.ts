/**
 * One job of a workflow, step by step, as the runner goes through it: each step's `if:` decided
 * by the job's status, its `env:` and `with:` filled in from the contexts, its outputs and
 * outcome recorded for the steps after it, `continue-on-error` honoured, the job's time limit kept.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExpressionContext, ExpressionEvaluator } from './expressions';
import { asText } from './expressions';
import type { InstallLedger } from './install-ledger';
import { runAction } from './local-actions';
import type { ActionOutcome } from './local-actions';
import { localCommandFor } from './local-commands';
import type { StepProcess } from './shell-step';
import { runShellStep } from './shell-step';
import type { Job, Step, Workflow } from './workflow';
import { stepTitle } from './workflow';

export type Verdict = 'passed' | 'failed' | 'skipped' | 'github';

/** One step's line in the report. */
export interface StepResult {
  job: string;
  step: string;
  verdict: Verdict;
  seconds: number;
  note?: string;
  /** A failure that `continue-on-error` let pass: it fails neither the job nor the run. */
  soft?: boolean;
}

/** A finished job, as `needs.<job>` shows it to the jobs after it. */
export interface JobResult {
  result: 'success' | 'failure' | 'skipped';
  steps: StepResult[];
}

/** What every job of one run shares. */
export interface RunSettings {
  workspace: string;
  artifacts: string;
  runDir: string;
  evaluator: ExpressionEvaluator;
  /** The contexts every expression can read: github, runner, vars, secrets, inputs. */
  contexts: ExpressionContext;
  /** The process environment of every step: this machine's, plus the runner's GITHUB_* variables. */
  baseEnv: Record<string, string>;
  /** Install steps already done in this one checkout, by this run or an earlier one. */
  installed: InstallLedger;
  /** Names this run in the ledger, e.g. "job test of the run at 08:12:03". */
  runLabel: string;
}

interface StepState {
  outputs: Record<string, string>;
  outcome: string;
  conclusion: string;
}

const INSTALL_STEP = /^(npm ci\b|sudo apt-get update\b.*&& sudo apt-get install\b)/;

/** The values of an `env:` or `with:` map, expressions filled in. */
function fill(
  map: Record<string, unknown> | undefined,
  settings: RunSettings,
  context: ExpressionContext,
  failed: boolean,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map ?? {}).map(([key, value]) => [
      key,
      settings.evaluator.interpolate(asText(value), context, { failed }),
    ]),
  );
}

/** Runs one job's steps; `needs` holds the results of the jobs it waited for. */
export function runJob(
  id: string,
  job: Job,
  workflow: Workflow,
  settings: RunSettings,
  needs: Record<string, { result: string; outputs: Record<string, string> }>,
): JobResult {
  const runnerTemp = join(settings.runDir, 'temp', id);
  rmSync(runnerTemp, { recursive: true, force: true });
  mkdirSync(runnerTemp, { recursive: true });
  const summaryFile = join(settings.runDir, 'summaries', `${id}.md`);
  mkdirSync(join(settings.runDir, 'summaries'), { recursive: true });
  const deadline = performance.now() + (job['timeout-minutes'] ?? 360) * 60_000;
  const steps: Record<string, StepState> = {};
  const results: StepResult[] = [];
  let failed = false;
  const contexts = {
    ...settings.contexts,
    needs,
    runner: { ...(settings.contexts.runner as object), temp: runnerTemp },
  };
  let env = fill(workflow.env, settings, { ...contexts, env: {} }, false);
  env = { ...env, ...fill(job.env, settings, { ...contexts, env }, false) };

  (job.steps ?? []).forEach((step, index) => {
    const title = stepTitle(step, index);
    const context = { ...contexts, env, steps, job: { status: failed ? 'failure' : 'success' } };
    const record = (verdict: Verdict, seconds: number, note?: string, soft = false): void => {
      results.push({ job: id, step: title, verdict, seconds, ...(note ? { note } : {}), ...(soft ? { soft } : {}) });
    };
    if (!settings.evaluator.condition(step.if, context, { failed })) {
      if (step.id) steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
      const statusChecked = /\b(success|failure|always|cancelled)\s*\(/.test(step.if ?? '');
      record(
        'skipped',
        0,
        failed && !statusChecked ? 'an earlier step failed' : `if: ${String(step.if).trim()} is false`,
      );
      return;
    }
    const stepEnv = { ...env, ...fill(step.env, settings, context, failed) };
    const process: StepProcess = {
      env: { ...settings.baseEnv, ...stepEnv, GITHUB_JOB: id, RUNNER_TEMP: runnerTemp },
      cwd: join(settings.workspace, step['working-directory'] ?? ''),
      runnerTemp,
      summaryFile,
      timeoutMs: Math.max(1000, Math.round(deadline - performance.now())),
    };
    const started = performance.now();
    const outcome = step.uses
      ? runAction({
          action: step.uses.split('@')[0]!,
          inputs: fill(step.with, settings, context, failed),
          workspace: settings.workspace,
          artifacts: settings.artifacts,
          process,
        })
      : runStep(id, step, process, settings, { context, failed });
    const seconds = (performance.now() - started) / 1000;
    env = { ...env, ...(outcome.env ?? {}) };
    const continueOnError = step['continue-on-error'] === true || step['continue-on-error'] === 'true';
    const stepOutcome = outcome.verdict === 'failed' ? 'failure' : outcome.verdict === 'passed' ? 'success' : 'skipped';
    if (step.id)
      steps[step.id] = {
        outputs: outcome.outputs ?? {},
        outcome: stepOutcome,
        conclusion: stepOutcome === 'failure' && continueOnError ? 'success' : stepOutcome,
      };
    if (stepOutcome === 'failure' && !continueOnError) failed = true;
    const soft = stepOutcome === 'failure' && continueOnError;
    record(
      outcome.verdict,
      outcome.verdict === 'passed' || outcome.verdict === 'failed' ? seconds : 0,
      [outcome.note, soft ? 'continue-on-error' : ''].filter(Boolean).join('; '),
      soft,
    );
  });
  return { result: failed ? 'failure' : 'success', steps: results };
}

/** A `run:` step: as written, or its local stand-in; an install already done here is not repeated. */
function runStep(
  job: string,
  step: Step,
  process: StepProcess,
  settings: RunSettings,
  at: { context: ExpressionContext; failed: boolean },
): ActionOutcome {
  const script = settings.evaluator.interpolate(step.run ?? '', at.context, { failed: at.failed });
  const isInstall = INSTALL_STEP.test(script.trim());
  const installedBy = isInstall ? settings.installed.doneBy(process.cwd, script.trim()) : undefined;
  if (installedBy)
    return { verdict: 'passed', note: `already done by ${installedBy} in this one checkout (same lockfile)` };
  const local = localCommandFor(step.id);
  const effects = runShellStep(local ? local.script(script) : script, step.shell, process);
  if (effects.code === 0 && isInstall)
    settings.installed.record(process.cwd, script.trim(), `job ${job} of ${settings.runLabel}`);
  const notes = [
    local ? `here: ${local.why}` : '',
    effects.timedOut ? "the job's timeout-minutes ran out" : '',
    effects.code === 0 ? '' : `exit code ${effects.code}`,
  ];
  return {
    verdict: effects.code === 0 ? 'passed' : 'failed',
    note: notes.filter(Boolean).join('; '),
    outputs: effects.outputs,
    env: effects.env,
  };
}
