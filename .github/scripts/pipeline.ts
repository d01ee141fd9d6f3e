/**
 * `npm run pipeline`: the local twin of .github/workflows/ci.yml. It reads ci.yml and runs its
 * jobs in an order GitHub could run them, every step as the runner would: `run:` steps as written
 * (shell scripts included) with their own `env:`, `if:` and working directory, and `uses:` steps
 * through their local equivalent (.github/scripts/pipeline/local-actions.ts) or reported with the
 * reason they cannot run here. Then it prints a table of every step and writes it to
 * reports/pipeline.md and reports/pipeline.json.
 *
 *   npm run pipeline                           every job, as on a push to main
 *   npm run pipeline -- --event pull_request   as on a pull request (baseline: --base, default HEAD~1)
 *   npm run pipeline -- --only image           these jobs and the jobs they need
 *   npm run pipeline -- --skip test,monitoring without these jobs (and what needs them)
 *   npm run pipeline -- --fail-fast            no job after the first failed one
 *   npm run pipeline -- --list                 the jobs and their steps, then exit
 *   --workflow FILE, --workspace DIR            another workflow or checkout (default: ci.yml, this one)
 *   --run-dir DIR, --report-dir DIR             artifacts, temp folders and summaries (.pipeline/);
 *                                               pipeline.md and pipeline.json (reports/)
 *   --event workflow_dispatch --input K=V       a manual run's inputs (repeatable), e.g. deploy.yml's
 *   --secret K=V, --var K=V                     the secrets and vars contexts (repeatable)
 *
 * The environment reaches every step, as the runner's does: e.g. SMOKE_RUN_OPTIONS='--network host'
 * for an engine without a bridge network, NODE_IMAGE/RUNTIME_IMAGE for offline base images.
 * Exit: 0 when no step failed, 1 otherwise, 2 on bad usage.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { StepResult } from './pipeline/job-runner';
import { renderTable } from './pipeline/report';
import { runPipeline } from './pipeline/runner';
import type { PipelineEvent } from './pipeline/runner';
import { CI_WORKFLOW, jobOrder, readWorkflow, stepTitle } from './pipeline/workflow';
import { ROOT } from '../../scripts/support/repo-root';

function names(raw: string | undefined): string[] | undefined {
  return raw === undefined
    ? undefined
    : raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

const EVENTS: readonly PipelineEvent[] = ['push', 'pull_request', 'workflow_dispatch'];
const isEvent = (name: string): name is PipelineEvent => (EVENTS as readonly string[]).includes(name);

/** `--input K=V` (and --secret, --var) as a map; a pair without `=` is a usage error. */
function pairs(raw: string[], option: string): Record<string, string> {
  return Object.fromEntries(
    raw.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--${option} takes NAME=VALUE, not ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

function list(file: string): void {
  const workflow = readWorkflow(file);
  for (const id of jobOrder(workflow)) {
    const job = workflow.jobs[id]!;
    console.log(`${id}${job.uses ? ` (calls ${job.uses})` : ''}`);
    (job.steps ?? []).forEach((step, index) =>
      console.log(`  ${step.uses ? 'uses' : 'run '}  ${stepTitle(step, index)}`),
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      event: { type: 'string', default: 'push' },
      base: { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string' },
      workflow: { type: 'string', default: CI_WORKFLOW },
      workspace: { type: 'string', default: ROOT },
      'run-dir': { type: 'string', default: join(ROOT, '.pipeline') },
      'report-dir': { type: 'string', default: join(ROOT, 'reports') },
      input: { type: 'string', multiple: true, default: [] },
      secret: { type: 'string', multiple: true, default: [] },
      var: { type: 'string', multiple: true, default: [] },
      'fail-fast': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
  });
  if (values.list) {
    list(values.workflow);
    return 0;
  }
  const event = values.event;
  if (!isEvent(event)) throw new Error(`--event must be ${EVENTS.join(', ')}, not ${event}`);
  const runDir = resolve(values['run-dir']);
  rmSync(runDir, { recursive: true, force: true });
  const only = names(values.only);
  const skip = names(values.skip);
  const results: StepResult[] = await runPipeline({
    workflowFile: values.workflow,
    event,
    inputs: pairs(values.input, 'input'),
    secrets: pairs(values.secret, 'secret'),
    vars: pairs(values.var, 'var'),
    ...(values.base ? { base: values.base } : {}),
    ...(only ? { only } : {}),
    ...(skip ? { skip } : {}),
    failFast: values['fail-fast'],
    workspace: resolve(values.workspace),
    runDir,
  });
  const table = renderTable(results);
  const reports = resolve(values['report-dir']);
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, 'pipeline.md'), `## mlship pipeline (${values.event})\n\n${table}`);
  writeFileSync(join(reports, 'pipeline.json'), JSON.stringify({ event: values.event, results }, null, 2) + '\n');
  console.log(
    `\n${table}\nwritten: ${join(reports, 'pipeline.md')}, pipeline.json; artifacts and job summaries in ${runDir}`,
  );
  return results.some((r) => r.verdict === 'failed') ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`pipeline: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 2;
    },
  );
}
