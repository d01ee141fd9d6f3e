/**
 * `npm run loadtest:local`: one scenario against a target (or the API it starts), then the report.
 * Its usage text, flags and their checks: runner/cli-options.ts.
 */
import { resolve } from 'node:path';
import { overview, textSummary } from './report/core';
import type { ExtraTable, ReportInput } from './report/types';
import { loadScenario, scenarioNames } from './scenario/load';
import type { TrafficModels } from './scenario/discovery';
import { compareWithBare } from './runner/bare-comparison';
import type { Args, RunSettings } from './runner/cli-options';
import { parseFlags, settingsFrom, USAGE, UsageError } from './runner/cli-options';
import { describeModels, discoverModels } from './runner/discover';
import { planSteps } from './runner/plan';
import { startApi } from './runner/processes';
import type { Started } from './runner/processes';
import { timestampDir, writeResults } from './runner/results';
import { runScenario } from './runner/run';
import type { RunResult } from './runner/run';
import { vetTarget } from './runner/target';

/**
 * Runs `body` with a list of started processes that are stopped when it returns or throws, and
 * on Ctrl-C or SIGTERM (then the process exits 130).
 */
async function withStartedProcesses<T>(body: (started: Started[]) => Promise<T>): Promise<T> {
  const started: Started[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  };
  const onSignal = (): void => {
    void stopAll().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await body(started);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll();
  }
}

/** Phase 2: the target's base URL, after starting the API when asked; vetted (loopback unless allowed). */
async function prepareTarget(args: Args, settings: RunSettings, started: Started[]): Promise<string> {
  let rawUrl = args.url ?? 'http://127.0.0.1:8000';
  if (args['start-server']) {
    const models = settings.serve.length ? settings.serve.join(' and ') : 'the models of model/models.json';
    settings.log(`starting the API (training ${models} into a temporary registry)…`);
    const api = await startApi(settings.serverPort, {}, [], settings.serve);
    started.push(api);
    rawUrl = `http://127.0.0.1:${api.port}`;
    settings.log(`API ready on ${rawUrl} (pid ${api.pid})`);
  }
  try {
    return (await vetTarget(rawUrl, args['allow-host'])).base;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** As the k6 script's setup(): false (and one line on stderr) when the target is not ready. */
async function targetReady(base: string, scenarioName: string): Promise<boolean> {
  const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(10000) }).catch(
    (error: unknown) => error as Error,
  );
  if (ready instanceof Error || ready.status !== 200) {
    console.error(
      `${base}/readyz ${ready instanceof Error ? `failed: ${ready.message}` : `answered ${ready.status}`}: the ` +
        `target is not ready, not starting the ${scenarioName} test`,
    );
    return false;
  }
  return true;
}

/**
 * Phase 3: what the target serves and real rows of its classes; undefined (and one line on stderr) when it cannot be
 * load-tested.
 */
async function trafficModels(
  base: string,
  settings: RunSettings,
  inferModel: string | undefined,
): Promise<TrafficModels | undefined> {
  try {
    const models = await discoverModels(base, settings.authorization, inferModel);
    settings.log(describeModels(models));
    // What discovery could not find goes to stderr even with --json: it explains a failed threshold.
    for (const note of models.notes) console.error(`model discovery: ${note}`);
    return models;
  } catch (error) {
    console.error(`${(error as Error).message}: not starting the ${settings.scenario.name} test`);
    return undefined;
  }
}

/** Phase 5: writes the result folder and prints the verdict (one JSON line with --json); the exit code. */
function report(args: Args, settings: RunSettings, base: string, result: RunResult, tables: ExtraTable[]): number {
  const { scenario, timeScale } = settings;
  const input: ReportInput = {
    summary: result.summary,
    title: `mlship load test: ${scenario.name}`,
    meta: {
      scenario: scenario.name,
      target: base,
      runner: 'autocannon (local)',
      'time scale': String(timeScale),
      started: new Date(Date.now() - result.summary.state.testRunDurationMs).toISOString(),
    },
    timeline: result.timeline,
    tables,
  };
  const files = writeResults(resolve(args.out, timestampDir()), input, scenario.name);
  const head = overview(result.summary);
  if (args.json) {
    console.log(
      JSON.stringify({
        scenario: scenario.name,
        passed: head.passed,
        thresholdsFailed: head.thresholdsFailed,
        requests: head.requests,
        requestsPerSecond: Number(head.requestsPerSecond.toFixed(1)),
        ...files,
      }),
    );
  } else {
    console.log(textSummary(result.summary, { title: input.title!, enableColors: Boolean(process.stdout.isTTY) }));
    for (const table of tables)
      console.table(
        Object.fromEntries(
          table.rows.map((row) => [
            String(row[0]),
            Object.fromEntries(table.columns.slice(1).map((c, i) => [c, row[i + 1]])),
          ]),
        ),
      );
    console.log(`results: ${files.dir}\n  report: ${files.html}`);
  }
  return head.passed ? 0 : 1;
}

/** Start the target, check it is ready, run the scenario, measure the ceilings if asked, report. */
async function loadTest(args: Args, settings: RunSettings): Promise<number> {
  const { scenario, timeScale, maxSeconds, maxRequests, log } = settings;
  return withStartedProcesses(async (started) => {
    const base = await prepareTarget(args, settings, started);
    if (!(await targetReady(base, scenario.name))) return 1;
    const models = await trafficModels(base, settings, args.model);
    if (!models) return 1;
    const steps = planSteps(scenario, { timeScale, maxSeconds });
    const planned = steps.reduce((s, step) => s + step.seconds, 0);
    log(
      `${scenario.name}: ${scenario.description}\n${steps.length} steps over ${planned.toFixed(1)}s (time scale ` +
        `${timeScale}), at most ${maxRequests} requests, against ${base}`,
    );
    const result = await runScenario({
      scenario,
      steps,
      base,
      authorization: settings.authorization,
      maxRequests,
      seed: settings.seed,
      log,
      models,
    });
    if (result.stoppedEarly) log(`stopped early: ${result.stoppedEarly}`);
    const tables = args['compare-bare']
      ? [await compareWithBare(base, settings, { steps, result, models }, started)]
      : [];
    return report(args, settings, base, result, tables);
  });
}

async function main(argv: string[]): Promise<number> {
  const args = parseFlags(argv);
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.list) {
    for (const name of scenarioNames()) console.log(`${name.padEnd(8)} ${loadScenario(name).description}`);
    return 0;
  }
  return loadTest(args, settingsFrom(args));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof UsageError;
    console.error(
      `loadtest: ${error instanceof Error ? error.message : String(error)}${usage ? '\n(--help for usage)' : ''}`,
    );
    process.exitCode = usage ? 2 : 1;
  },
);
