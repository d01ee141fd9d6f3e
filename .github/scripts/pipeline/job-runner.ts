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

/** A job under way: what its steps share, and what the steps so far have left behind. */
interface JobState {
  id: string;
  settings: RunSettings;
  /** The run's contexts with this job's `needs` and runner temp folder. */
  contexts: ExpressionContext;
  runnerTemp: string;
  summaryFile: string;
  /** performance.now() at which the job's `timeout-minutes` runs out. */
  deadline: number;
  env: Record<string, string>;
  steps: Record<string, StepState>;
  results: StepResult[];
  failed: boolean;
}

/** A fresh runner temp folder and summary file for the job, its contexts and its `env:` filled in. */
function startJob(
  id: string,
  job: Job,
  workflow: Workflow,
  settings: RunSettings,
  needs: Record<string, { result: string; outputs: Record<string, string> }>,
): JobState {
  const runnerTemp = join(settings.runDir, 'temp', id);
  rmSync(runnerTemp, { recursive: true, force: true });
  mkdirSync(runnerTemp, { recursive: true });
  const summaryFile = join(settings.runDir, 'summaries', `${id}.md`);
  mkdirSync(join(settings.runDir, 'summaries'), { recursive: true });
  const deadline = performance.now() + (job['timeout-minutes'] ?? 360) * 60_000;
  const contexts = {
    ...settings.contexts,
    needs,
    runner: { ...(settings.contexts.runner as object), temp: runnerTemp },
  };
  let env = fill(workflow.env, settings, { ...contexts, env: {} }, false);
  env = { ...env, ...fill(job.env, settings, { ...contexts, env }, false) };
  return { id, settings, contexts, runnerTemp, summaryFile, deadline, env, steps: {}, results: [], failed: false };
}

/** Runs one job's steps; `needs` holds the results of the jobs it waited for. */
export function runJob(
  id: string,
  job: Job,
  workflow: Workflow,
  settings: RunSettings,
  needs: Record<string, { result: string; outputs: Record<string, string> }>,
): JobResult {
  const state = startJob(id, job, workflow, settings, needs);
  (job.steps ?? []).forEach((step, index) => runJobStep(state, step, stepTitle(step, index)));
  return { result: state.failed ? 'failure' : 'success', steps: state.results };
}

/** The step's line in the report; an empty note and a failure that is not soft are left out of it. */
function record(state: JobState, line: Omit<StepResult, 'job'>): void {
  const { step, verdict, seconds, note, soft } = line;
  state.results.push({ job: state.id, step, verdict, seconds, ...(note ? { note } : {}), ...(soft ? { soft } : {}) });
}

/** One step: skipped when its `if:` is false, otherwise run and its outcome recorded for the steps after it. */
function runJobStep(state: JobState, step: Step, title: string): void {
  const { settings, failed } = state;
  const context = {
    ...state.contexts,
    env: state.env,
    steps: state.steps,
    job: { status: failed ? 'failure' : 'success' },
  };
  if (!settings.evaluator.condition(step.if, context, { failed })) {
    if (step.id) state.steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
    const statusChecked = /\b(success|failure|always|cancelled)\s*\(/.test(step.if ?? '');
    const note = failed && !statusChecked ? 'an earlier step failed' : `if: ${String(step.if).trim()} is false`;
    record(state, { step: title, verdict: 'skipped', seconds: 0, note });
    return;
  }
  const started = performance.now();
  const outcome = executeStep(state, step, context);
  recordOutcome(state, step, title, outcome, (performance.now() - started) / 1000);
}

/** The step's process (its env over the job's, the time the job has left) and what running it gave. */
function executeStep(state: JobState, step: Step, context: ExpressionContext): ActionOutcome {
  const { settings, failed, runnerTemp } = state;
  const stepEnv = { ...state.env, ...fill(step.env, settings, context, failed) };
  const process: StepProcess = {
    env: { ...settings.baseEnv, ...stepEnv, GITHUB_JOB: state.id, RUNNER_TEMP: runnerTemp },
    cwd: join(settings.workspace, step['working-directory'] ?? ''),
    runnerTemp,
    summaryFile: state.summaryFile,
    timeoutMs: Math.max(1000, Math.round(state.deadline - performance.now())),
  };
  return step.uses
    ? runAction({
        action: step.uses.split('@')[0]!,
        inputs: fill(step.with, settings, context, failed),
        workspace: settings.workspace,
        artifacts: settings.artifacts,
        process,
      })
    : runStep(state.id, step, process, settings, { context, failed });
}

/** The step's env for the steps after it, its outcome and conclusion, and its line in the report. */
function recordOutcome(state: JobState, step: Step, title: string, outcome: ActionOutcome, seconds: number): void {
  state.env = { ...state.env, ...(outcome.env ?? {}) };
  const continueOnError = step['continue-on-error'] === true || step['continue-on-error'] === 'true';
  const stepOutcome = outcome.verdict === 'failed' ? 'failure' : outcome.verdict === 'passed' ? 'success' : 'skipped';
  if (step.id)
    state.steps[step.id] = {
      outputs: outcome.outputs ?? {},
      outcome: stepOutcome,
      conclusion: stepOutcome === 'failure' && continueOnError ? 'success' : stepOutcome,
    };
  if (stepOutcome === 'failure' && !continueOnError) state.failed = true;
  const soft = stepOutcome === 'failure' && continueOnError;
  record(state, {
    step: title,
    verdict: outcome.verdict,
    seconds: outcome.verdict === 'passed' || outcome.verdict === 'failed' ? seconds : 0,
    note: [outcome.note, soft ? 'continue-on-error' : ''].filter(Boolean).join('; '),
    soft,
  });
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
