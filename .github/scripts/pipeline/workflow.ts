/**
 * The shape of a workflow file as the pipeline twin and the workflow tests read it, and the order
 * GitHub runs its jobs in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const WORKFLOW_DIR = join(__dirname, '..', '..', 'workflows');
export const CI_WORKFLOW = join(WORKFLOW_DIR, 'ci.yml');

/** The fields of a step the twin and the tests look at. */
export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'continue-on-error'?: boolean | string;
  'working-directory'?: string;
  'timeout-minutes'?: number;
}

/** The fields of a job the twin and the tests look at. */
export interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  uses?: string;
  'timeout-minutes'?: number;
  permissions?: unknown;
  environment?: { name?: string; url?: string } | string;
  env?: Record<string, unknown>;
  shell?: string;
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
  steps?: Step[];
}

/** The fields of a workflow the twin and the tests look at. */
export interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean | string };
  defaults?: { run?: { shell?: string } };
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** A parsed workflow file. */
export function readWorkflow(file: string): Workflow {
  return parse(readFileSync(file, 'utf8')) as Workflow;
}

/** The jobs a job waits for. */
export function needsOf(job: Job): string[] {
  return typeof job.needs === 'string' ? [job.needs] : (job.needs ?? []);
}

/**
 * The job ids in an order GitHub could run them one at a time: every job after the jobs it needs,
 * otherwise in file order. Throws on a need that names no job, or a cycle.
 */
export function jobOrder(workflow: Workflow): string[] {
  const ids = Object.keys(workflow.jobs);
  const order: string[] = [];
  const pending = new Set(ids);
  while (pending.size > 0) {
    const next = [...pending].find((id) =>
      needsOf(workflow.jobs[id]!).every((need) => {
        if (!ids.includes(need)) throw new Error(`job ${id} needs ${need}, which is no job of this workflow`);
        return order.includes(need);
      }),
    );
    if (!next) throw new Error(`the needs of jobs ${[...pending].join(', ')} form a cycle`);
    order.push(next);
    pending.delete(next);
  }
  return order;
}

/** How a step is called in messages: its name, else its id, command or action. */
export function stepTitle(step: Step, index: number): string {
  return (
    step.name ??
    step.id ??
    (step.uses ? step.uses.split('@')[0]! : (step.run?.trim().split('\n')[0] ?? `step ${index + 1}`))
  );
}
