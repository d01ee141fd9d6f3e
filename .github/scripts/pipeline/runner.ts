/**
 * A workflow's jobs, one at a time in an order GitHub could run them, on this machine and in this
 * checkout: each job's `if:` and `needs` decided as GitHub decides them, a reusable workflow
 * reported as needing GitHub, and the contexts (github, runner, needs) a run on `push` or
 * `pull_request` would have.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InstallLedger } from './install-ledger';
import { ExpressionEvaluator } from './expressions';
import type { JobResult, RunSettings, StepResult } from './job-runner';
import { runJob } from './job-runner';
import { worktrees } from './local-actions';
import { jobOrder, needsOf, readWorkflow } from './workflow';
import type { Job, Workflow } from './workflow';

export type PipelineEvent = 'push' | 'pull_request' | 'workflow_dispatch';

/** What to run. */
export interface PipelineOptions {
  workflowFile: string;
  event: PipelineEvent;
  /** The pull request's base commit (default HEAD~1). */
  base?: string;
  /** Jobs to run (with the jobs they need); default every job. */
  only?: string[];
  /** Jobs left out (and so the jobs that need them). */
  skip?: string[];
  failFast?: boolean;
  /** The `inputs`, `secrets` and `vars` contexts (workflow_dispatch inputs, repository secrets and variables). */
  inputs?: Record<string, string>;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  workspace: string;
  /** Where the run keeps its artifacts, runner temp folders and job summaries. */
  runDir: string;
}

/** Why a reusable workflow a job calls cannot run here. */
const REUSABLE_WORKFLOWS: Record<string, string> = {
  './.github/workflows/release.yml':
    'release.yml pushes the tested image to GHCR (and ACR), and attests it through Sigstore and OIDC',
};

function git(workspace: string, args: string[]): string {
  const result = spawnSync('git', args, { cwd: workspace, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The github context of a run of `event` on this checkout's HEAD. */
export function githubContext(
  workspace: string,
  event: PipelineEvent,
  base = 'HEAD~1',
  inputs: Record<string, string> = {},
): Record<string, unknown> {
  const sha = git(workspace, ['rev-parse', 'HEAD']);
  const branch =
    spawnSync('git', ['symbolic-ref', '--short', '-q', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).stdout.trim() ||
    'main';
  const origin = spawnSync('git', ['remote', 'get-url', 'origin'], { cwd: workspace, encoding: 'utf8' }).stdout.trim();
  const repository = /[:/]([^/:]+\/[^/]+?)(?:\.git)?$/.exec(origin)?.[1] ?? `local/${basename(workspace)}`;
  const repo = { full_name: repository, name: repository.split('/')[1], owner: { login: repository.split('/')[0] } };
  const payload =
    event === 'pull_request'
      ? {
          number: 0,
          pull_request: {
            number: 0,
            base: { sha: git(workspace, ['rev-parse', base]), ref: 'main', repo },
            head: { sha, ref: branch, repo },
          },
          repository: repo,
        }
      : {
          ref: `refs/heads/${branch}`,
          after: sha,
          head_commit: { id: sha },
          repository: repo,
          ...(event === 'workflow_dispatch' ? { inputs } : {}),
        };
  const ref = event === 'pull_request' ? 'refs/pull/0/merge' : `refs/heads/${branch}`;
  return {
    event_name: event,
    event: payload,
    sha,
    ref,
    ref_name: event === 'pull_request' ? '0/merge' : branch,
    ref_type: 'branch',
    repository,
    repository_owner: repository.split('/')[0],
    run_id: String(Date.now()),
    run_number: '1',
    run_attempt: '1',
    workspace,
    actor: 'local',
    server_url: 'https://github.com',
    workflow: 'ci',
    job: '',
  };
}

/** The environment every step starts from: this machine's, CI=true and the runner's GITHUB_* variables. */
function baseEnvironment(options: PipelineOptions, github: Record<string, unknown>): Record<string, string> {
  const eventFile = join(options.runDir, 'event.json');
  writeFileSync(eventFile, JSON.stringify(github.event, null, 2));
  const env = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
  // GitHub's runners have passwordless sudo; root here may have no sudo at all.
  const hasSudo = spawnSync('sh', ['-c', 'command -v sudo'], { stdio: 'ignore' }).status === 0;
  if (!hasSudo && process.getuid?.() === 0) {
    const shims = join(options.runDir, 'shims');
    mkdirSync(shims, { recursive: true });
    writeFileSync(join(shims, 'sudo'), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
    env.PATH = `${shims}:${env.PATH ?? ''}`;
  }
  return {
    ...env,
    CI: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_SHA: String(github.sha),
    GITHUB_REF: String(github.ref),
    GITHUB_REPOSITORY: String(github.repository),
    GITHUB_RUN_ID: String(github.run_id),
    GITHUB_RUN_ATTEMPT: '1',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
  };
}

/** The jobs to run: --only's jobs and everything they need, less --skip's. */
export function selectJobs(workflow: Workflow, only?: string[], skip?: string[]): Map<string, string> {
  const reasons = new Map<string, string>();
  const ids = Object.keys(workflow.jobs);
  for (const name of [...(only ?? []), ...(skip ?? [])])
    if (!ids.includes(name)) throw new Error(`no job ${name} in the workflow (jobs: ${ids.join(', ')})`);
  if (only) {
    const wanted = new Set<string>();
    const add = (id: string): void => {
      if (wanted.has(id)) return;
      wanted.add(id);
      needsOf(workflow.jobs[id]!).forEach(add);
    };
    only.forEach(add);
    for (const id of ids) if (!wanted.has(id)) reasons.set(id, 'not selected');
  }
  for (const id of skip ?? []) reasons.set(id, 'left out with --skip');
  return reasons;
}

/** The settings every job of the run shares: its folders, contexts, environment and install ledger. */
async function runSettings(options: PipelineOptions, github: Record<string, unknown>): Promise<RunSettings> {
  return {
    workspace: options.workspace,
    artifacts: join(options.runDir, 'artifacts'),
    runDir: options.runDir,
    evaluator: await ExpressionEvaluator.create(),
    baseEnv: baseEnvironment(options, github),
    installed: new InstallLedger(),
    runLabel: `the run started at ${new Date().toISOString().slice(11, 19)} UTC`,
    contexts: {
      github,
      runner: { os: 'Linux', arch: 'X64', temp: '' },
      vars: options.vars ?? {},
      secrets: { GITHUB_TOKEN: '', ...options.secrets },
      inputs: options.inputs ?? {},
      matrix: {},
      strategy: {},
    },
  };
}

type FinishedJobs = Record<string, { result: JobResult['result']; outputs: Record<string, string> }>;

/** A run under way: the jobs finished so far, every step's result, and whether --fail-fast stopped it. */
interface PipelineRun {
  workflow: Workflow;
  settings: RunSettings;
  /** Why a job is left out (--only, --skip). */
  unselected: Map<string, string>;
  failFast: boolean;
  done: FinishedJobs;
  results: StepResult[];
  stopped: boolean;
}

/** Why the job's `if:` (without one: every job it needs succeeded) keeps it from running; undefined when it runs. */
function falseConditionNote(run: PipelineRun, job: Job, needs: FinishedJobs): string | undefined {
  const needsFailed = Object.values(needs).some((n) => n.result !== 'success');
  if (run.settings.evaluator.condition(job.if, { ...run.settings.contexts, needs }, { failed: needsFailed }))
    return undefined;
  return job.if === undefined
    ? `needs ${needsOf(job)
        .filter((n) => needs[n]!.result !== 'success')
        .join(', ')}`
    : `if: ${String(job.if).trim()} is false`;
}

/** One job, in turn: left out, skipped with the reason, reported as needing GitHub, or run. */
function runPipelineJob(run: PipelineRun, id: string): void {
  const job = run.workflow.jobs[id]!;
  const needs = Object.fromEntries(
    needsOf(job).map((need) => [need, run.done[need] ?? { result: 'skipped' as const, outputs: {} }]),
  );
  const reason = run.unselected.get(id);
  if (reason === 'not selected') {
    run.done[id] = { result: 'skipped', outputs: {} };
    return;
  }
  const skippedNote =
    reason ?? (run.stopped ? 'an earlier job failed (--fail-fast)' : falseConditionNote(run, job, needs));
  if (skippedNote !== undefined) {
    run.done[id] = { result: 'skipped', outputs: {} };
    run.results.push({ job: id, step: '(job)', verdict: 'skipped', seconds: 0, note: skippedNote });
    return;
  }
  if (job.uses) {
    run.results.push({
      job: id,
      step: `(calls ${job.uses})`,
      verdict: 'github',
      seconds: 0,
      note: `needs GitHub: ${REUSABLE_WORKFLOWS[job.uses] ?? 'a reusable workflow'}`,
    });
    run.done[id] = { result: 'skipped', outputs: {} };
    return;
  }
  console.log(`\n=== pipeline: job ${id}${job.name ? ` (${job.name})` : ''}`);
  const result = runJob(id, job, run.workflow, run.settings, needs);
  run.done[id] = { result: result.result, outputs: {} };
  run.results.push(...result.steps);
  if (result.result === 'failure' && run.failFast) run.stopped = true;
}

/** Runs the workflow's jobs and returns every step's result. */
export async function runPipeline(options: PipelineOptions): Promise<StepResult[]> {
  const workflow = readWorkflow(options.workflowFile);
  const unselected = selectJobs(workflow, options.only, options.skip);
  mkdirSync(options.runDir, { recursive: true });
  const github = githubContext(options.workspace, options.event, options.base, options.inputs);
  const run: PipelineRun = {
    workflow,
    settings: await runSettings(options, github),
    unselected,
    failFast: options.failFast === true,
    done: {},
    results: [],
    stopped: false,
  };
  try {
    for (const id of jobOrder(workflow)) runPipelineJob(run, id);
  } finally {
    for (const path of worktrees.splice(0))
      if (existsSync(path)) spawnSync('git', ['worktree', 'remove', '--force', path], { cwd: options.workspace });
  }
  return run.results;
}
