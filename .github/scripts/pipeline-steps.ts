/**
 * The steps of `npm run pipeline`, read from .github/workflows/ci.yml so the local twin cannot
 * drift: every `npm run …` / `npm test …` step of ci.yml's jobs, in the jobs' order, plus the
 * action steps that have a local npm equivalent (LOCAL_TWINS).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One pipeline step: a command line of ci.yml, the job it belongs to, and why it cannot run here. */
export interface PipelineStep {
  id: string;
  title: string;
  job: string;
  /** The npm command line, as ci.yml runs it and a developer would type it. */
  command: string;
  /** Steps whose failure skips this one: the previous step of its job, or the last of each needed job. */
  needs: string[];
  /** Set when the step cannot run on a developer machine, with the reason. */
  githubOnly?: string;
}

interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  'working-directory'?: string;
}
interface WorkflowJob {
  needs?: string | string[];
  steps?: WorkflowStep[];
  uses?: string;
}

/** Actions in ci.yml whose local equivalent is an npm script (they do the same work there). */
export const LOCAL_TWINS: Record<string, { id: string; command: string }> = {
  'docker/build-push-action': { id: 'image', command: 'npm run image:build' },
};

export const CI_WORKFLOW = join(__dirname, '..', 'workflows', 'ci.yml');

const NPM_STEP = /^npm\s+(?:test|run\s+(?:-s\s+)?([\w:.-]+))(?:\s|$)/;
const PLAIN_COMMAND = /^[\w:.=@/ -]+$/;

function stepOf(job: string, step: WorkflowStep, index: number): Omit<PipelineStep, 'needs'> | undefined {
  const action = step.uses?.split('@')[0];
  const twin = action ? LOCAL_TWINS[action] : undefined;
  const run = step.run?.trim();
  const match = run ? NPM_STEP.exec(run) : null;
  if (!twin && !match) return undefined;
  const where = `ci.yml job ${job} step ${index + 1}`;
  if (run && (run.includes('\n') || !PLAIN_COMMAND.test(run))) {
    throw new Error(`${where}: an npm step must be one plain command line (no quotes, variables or &&), so the pipeline can run it here: ${run.split('\n')[0]}`);
  }
  const command = twin ? twin.command : run!;
  const id = step.id ?? (twin ? twin.id : (match![1] ?? 'test'));
  const conditions = [step.if && `runs only when \`${step.if}\``, step['working-directory'] && `runs in ${step['working-directory']}/, a checkout CI makes`].filter(Boolean);
  return {
    id,
    title: step.name ?? (twin ? `${step.uses!.split('@')[0]} (here: ${command})` : command),
    job,
    command,
    ...(conditions.length > 0 ? { githubOnly: conditions.join(', ') } : {}),
  };
}

/** The pipeline steps of a parsed ci.yml, in its jobs' order; throws on duplicate ids. */
export function stepsFromWorkflow(workflow: { jobs: Record<string, WorkflowJob> }): PipelineStep[] {
  const steps: PipelineStep[] = [];
  // A job's last step that runs here, or (with none) what the job itself waited for.
  const lastOfJob = new Map<string, string[]>();
  for (const [job, spec] of Object.entries(workflow.jobs)) {
    const jobNeeds = typeof spec.needs === 'string' ? [spec.needs] : (spec.needs ?? []);
    let previous = [...new Set(jobNeeds.flatMap((need) => lastOfJob.get(need) ?? []))];
    (spec.steps ?? []).forEach((raw, index) => {
      const step = stepOf(job, raw, index);
      if (!step) return;
      if (steps.some((s) => s.id === step.id)) throw new Error(`ci.yml job ${job}: two pipeline steps are called ${step.id}; give one an id:`);
      steps.push({ ...step, needs: step.githubOnly ? [] : previous });
      if (!step.githubOnly) previous = [step.id];
    });
    lastOfJob.set(job, previous);
  }
  return steps;
}

/** The pipeline steps of the ci.yml at `file`. */
export function readPipelineSteps(file = CI_WORKFLOW): PipelineStep[] {
  return stepsFromWorkflow(parse(readFileSync(file, 'utf8')) as { jobs: Record<string, WorkflowJob> });
}
