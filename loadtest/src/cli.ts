import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { overview, textSummary } from './report/core';
import type { ExtraTable, ReportInput } from './report/types';
import { loadScenario, scenarioNames } from './scenario/load';
import type { Scenario } from './scenario/types';
import type { TrafficModels } from './scenario/discovery';
import { measureCeiling } from './runner/ceiling';
import { describeModels, discoverModels } from './runner/discover';
import { planSteps } from './runner/plan';
import type { Step } from './runner/plan';
import { startApi, startBare } from './runner/processes';
import { ROOT } from '../../scripts/support/repo-root';
import type { Started } from './runner/processes';
import { timestampDir, writeResults } from './runner/results';
import { runScenario } from './runner/run';
import type { RunResult } from './runner/run';
import { vetTarget } from './runner/target';

const USAGE =
  `usage: npm run loadtest:local -- --scenario <${'smoke|load|stress|spike|soak'}> [options]

  --scenario <name>       scenario file in loadtest/scenarios (default smoke)
  --url <url>             target (default http://127.0.0.1:8000); loopback only unless --allow-host
  --allow-host <host>     also allow this non-loopback host (private ranges are refused regardless)
  --start-server          train into a temp dir, start the real API (npm run build first), stop it after
  --serve <v1[,v2]>       with --start-server: train only these models of model/models.json and serve the
                          first as v1, the second (default: the first) as v2 (default: train all, serve M1, M2)
  --server-port <port>    port for --start-server (default 0: any free port)
  --model <name>          the model the Open Inference Protocol requests name (default: the one /predict answers)
  --compare-bare          afterwards, measure the API's and a bare node:http server's ceiling side by side
  --bare-port <port>      port for the bare server (default 0)
  --ceiling-seconds <s>   length of each ceiling measurement (default 5)
  --time-scale <f>        multiply the profile's durations (default: the scenario's local.timeScale)
  --max-seconds <s>       stop after this long (default: local.maxSeconds)
  --max-requests <n>      stop after this many requests (default: local.maxRequests)
  --out <dir>             results root (default loadtest/results); a <timestamp> folder is made in it
  --seed <n>              seed of the request mix (default 1)
  --json                  print one JSON line with the verdict and the result paths
  --list                  list the scenarios and exit
credentials: API_USER / API_PASSWORD (default alice / wonderland, the documented dev user)
the traffic names no model, feature or class: before the first step the runner asks the target
(GET /models, then /predict) which models answer, and takes real rows of each class from the debug
variant's neighbours
exit: 0 when every threshold holds, 1 when one fails or the target is not ready or does not say what it serves, ` +
  '2 on bad input';

/** A usage problem: one line, exit 2. */
class UsageError extends Error {}

function number(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return value;
}

/** The command line as parseArgs reads it. */
type Args = ReturnType<typeof parse>;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        scenario: { type: 'string', default: 'smoke' },
        url: { type: 'string' },
        'allow-host': { type: 'string' },
        'start-server': { type: 'boolean', default: false },
        serve: { type: 'string' },
        'server-port': { type: 'string', default: '0' },
        'compare-bare': { type: 'boolean', default: false },
        'bare-port': { type: 'string', default: '0' },
        'ceiling-seconds': { type: 'string', default: '5' },
        'time-scale': { type: 'string' },
        'max-seconds': { type: 'string' },
        'max-requests': { type: 'string' },
        out: { type: 'string', default: resolve(ROOT, 'loadtest/results') },
        seed: { type: 'string', default: '1' },
        model: { type: 'string' },
        json: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}

/** The settings of one run, parsed and checked once. */
interface RunSettings {
  scenario: Scenario;
  timeScale: number;
  maxSeconds: number;
  maxRequests: number;
  serverPort: number;
  barePort: number;
  ceilingSeconds: number;
  seed: number;
  /** --serve: the models --start-server trains and serves (v1, then v2); empty for all and the defaults. */
  serve: string[];
  authorization: string;
  log: (line: string) => void;
}

/** Phase 1: the scenario and every numeric flag, checked; the credentials as a header. */
function settingsFrom(args: Args): RunSettings {
  let scenario;
  try {
    scenario = loadScenario(args.scenario);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const timeScale = number('time-scale', args['time-scale'], 0.0001, 1) ?? scenario.local.timeScale;
  const maxSeconds = number('max-seconds', args['max-seconds'], 1, 24 * 3600) ?? scenario.local.maxSeconds;
  const maxRequests = number('max-requests', args['max-requests'], 1, 10_000_000) ?? scenario.local.maxRequests;
  const serverPort = number('server-port', args['server-port'], 0, 65535)!;
  const barePort = number('bare-port', args['bare-port'], 0, 65535)!;
  const ceilingSeconds = number('ceiling-seconds', args['ceiling-seconds'], 1, 60)!;
  const seed = number('seed', args.seed, 0, 2 ** 32 - 1)!;
  if (args['start-server'] && args.url) throw new UsageError('give either --url or --start-server, not both');
  if (args.serve !== undefined && !args['start-server']) throw new UsageError('--serve goes with --start-server');
  const serve = args.serve?.split(',').map((name) => name.trim()) ?? [];
  if (serve.length > 2 || serve.some((name) => !/^[A-Za-z][A-Za-z0-9_-]{0,62}$/.test(name)))
    throw new UsageError(`--serve takes one or two model names, v1 first: "${args.serve}"`);
  const user = process.env.API_USER || 'alice';
  const password = process.env.API_PASSWORD || 'wonderland';
  return {
    scenario,
    timeScale,
    maxSeconds,
    maxRequests,
    serverPort,
    barePort,
    ceilingSeconds,
    seed,
    serve,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    log: args.json ? () => undefined : (line: string) => console.error(line),
  };
}

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

/** Phase 4 (--compare-bare): the API's and a bare node:http server's ceiling, as a report table. */
async function compareWithBare(
  base: string,
  settings: RunSettings,
  load: { steps: Step[]; result: RunResult; models: TrafficModels },
  started: Started[],
): Promise<ExtraTable> {
  const { authorization, ceilingSeconds, scenario } = settings;
  const connections = Math.max(8, ...load.steps.map((s) => s.connections));
  settings.log(`measuring the ceilings: ${ceilingSeconds}s each with ${connections} connections…`);
  const bare = await startBare(settings.barePort);
  started.push(bare);
  const apiCeiling = await measureCeiling(base, authorization, load.models, ceilingSeconds, connections);
  const bareCeiling = await measureCeiling(
    `http://127.0.0.1:${bare.port}`,
    authorization,
    load.models,
    ceilingSeconds,
    connections,
  );
  const head = overview(load.result.summary);
  const ratio = bareCeiling.requestsPerSecond > 0 ? apiCeiling.requestsPerSecond / bareCeiling.requestsPerSecond : 0;
  return {
    title: 'API versus the bare Node ceiling',
    columns: ['load', 'requests/s', 'p50 ms', 'p99 ms', 'requests', 'errors + non-2xx'],
    rows: [
      [
        `${scenario.name} scenario (mix, paced)`,
        Math.round(head.requestsPerSecond),
        '',
        '',
        head.requests,
        head.failedRequests,
      ],
      [
        'API ceiling: POST /predict, closed loop',
        Math.round(apiCeiling.requestsPerSecond),
        apiCeiling.p50Ms,
        apiCeiling.p99Ms,
        apiCeiling.requests,
        apiCeiling.errors + apiCeiling.non2xx,
      ],
      [
        'bare node:http ceiling, closed loop',
        Math.round(bareCeiling.requestsPerSecond),
        bareCeiling.p50Ms,
        bareCeiling.p99Ms,
        bareCeiling.requests,
        bareCeiling.errors + bareCeiling.non2xx,
      ],
    ],
    note:
      `API/bare throughput ratio ${ratio.toFixed(3)}; ${connections} connections, ${ceilingSeconds}s each, same ` +
      `machine, same run. The API runs with auth, validation, metrics and request logs on.`,
  };
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
  const args = parse(argv);
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
