import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Started } from '../loadtest/src/runner/processes';
import { startApi, startBare } from '../loadtest/src/runner/processes';
import type { LoadGeneratorName, LoadResult, LoadSpec } from './bench/load-generators';
import { availableLoadGenerator, runLoad } from './bench/load-generators';
import { cpuMicros, sampleRss } from './bench/proc';
import { BENCH_AUTHORIZATION as AUTH, batchBody, positiveInt, SINGLE_ROW_BODY as SINGLE_BODY } from './bench/requests';

/**
 * API throughput benchmark: the real server as `npm start` runs it (same V8 flags; auth,
 * validation, metrics, request logs and the prediction log all on) against a bare node:http
 * server that answers a constant (both started by the load-test runner's helpers), each loaded in
 * the same run by wrk (autocannon only when wrk is missing) on 127.0.0.1, bounded in time; then
 * the API again with batches. Beside req/s and latency it reports each server's own CPU time per
 * request, from /proc. Prints a table, or one JSON line with --json.
 */
const USAGE =
  'usage: npm run bench:api -- [--json] [--seconds 10] [--connections 64] [--threads 2] [--batch-rows 1000] ' +
  '[--batch-connections 8] [--model NAME ...]';
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    'batch-rows': { type: 'string', default: '1000' },
    // Fewer connections for batches: 64 batches of 1,000 rows in flight only add queueing (seconds of
    // latency, near wrk's timeout on a busy machine), not throughput.
    'batch-connections': { type: 'string', default: '8' },
    // Each named model served alone (MODEL_NAME and AB_MODEL_NAME) and loaded in turn, in the same
    // run: the first gives the main figures, every one a line of \`models\`. None: the default models.
    model: { type: 'string', multiple: true, default: [] },
  },
});

const WARM_UP_SECONDS = 2;

interface Measured extends LoadResult {
  cpuMicrosPerRequest: number;
  peakRssMb: number;
  peakAnonMb: number;
}

/** Warms `server` up, then loads it for the measured window, reading its CPU time around it. */
async function measure(generator: LoadGeneratorName, server: Started, spec: Omit<LoadSpec, 'url'>): Promise<Measured> {
  const url = `http://127.0.0.1:${server.port}/predict`;
  await runLoad(generator, { ...spec, url, seconds: WARM_UP_SECONDS });
  const rss = sampleRss(server.pid);
  const cpuBefore = cpuMicros(server.pid);
  const load = await runLoad(generator, { ...spec, url });
  const cpu = cpuMicros(server.pid) - cpuBefore;
  const memory = rss.stop();
  const cpuMicrosPerRequest = load.requests > 0 ? cpu / load.requests : NaN;
  return { ...load, cpuMicrosPerRequest, peakRssMb: memory.rss, peakAnonMb: memory.anon };
}

async function expectOk(port: number, body: string, what: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/predict`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: AUTH },
    body,
  });
  if (res.status !== 200)
    throw new Error(`the API answered ${res.status} to the ${what} request: ${(await res.text()).slice(0, 200)}`);
}

function assertClean(load: LoadResult, what: string): void {
  if (load.errors + load.non2xx > 0)
    throw new Error(`${what} failed ${load.errors} and refused ${load.non2xx} requests under load`);
}

/** Starts the API as production starts it: with V8's code cache (see the cold start note below). */
async function startWarmApi(
  env: Record<string, string>,
  serve: readonly string[],
): Promise<{ api: Started; coldStartToReadyMs?: number }> {
  // The image ships the cache and every start after the first writes it. A first start after a
  // build compiles from source; that figure is reported as coldStartToReadyMs and the server is
  // started again.
  const first = await startApi(0, env, [], serve);
  if (first.codeCache !== 'cold') return { api: first };
  await first.stop();
  return { api: await startApi(0, env, [], serve), coldStartToReadyMs: first.startToReadyMs ?? -1 };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

interface Options {
  seconds: number;
  connections: number;
  threads: number;
  batchRows: number;
  batchConnections: number;
}

function parseOptions(): Options {
  return {
    seconds: positiveInt('seconds', values.seconds, USAGE),
    connections: positiveInt('connections', values.connections, USAGE),
    threads: positiveInt('threads', values.threads, USAGE),
    batchRows: positiveInt('batch-rows', values['batch-rows'], USAGE),
    batchConnections: positiveInt('batch-connections', values['batch-connections'], USAGE),
  };
}

/** One API's single-row and batch loads, with the start it needed. */
async function loadApi(loadGenerator: LoadGeneratorName, o: Options, serve: readonly string[], predictions: string) {
  const { api, coldStartToReadyMs } = await startWarmApi(
    { PREDICTION_LOG_DIR: predictions, MONITORING_TOKEN: 'bench-monitoring-token-0123' },
    serve,
  );
  try {
    const batch = batchBody(o.batchRows);
    await expectOk(api.port, SINGLE_BODY, 'benchmark');
    await expectOk(api.port, batch, `${o.batchRows}-row batch`);
    const common = { authorization: AUTH, seconds: o.seconds, connections: o.connections, threads: o.threads };
    const apiLoad = await measure(loadGenerator, api, { ...common, body: SINGLE_BODY });
    assertClean(apiLoad, 'the API');
    const batchLoad = await measure(loadGenerator, api, { ...common, connections: o.batchConnections, body: batch });
    assertClean(batchLoad, 'the API (batches)');
    return { api, coldStartToReadyMs, apiLoad, batchLoad };
  } finally {
    await api.stop();
  }
}

/** One line of `models`: a served model's own figures. */
/** One API's peak memory over its single-row and batch windows, in whole MB. */
function peakMemory(apiLoad: Measured, batchLoad: Measured): { rssMb: number; rssAnonMb: number } {
  return {
    rssMb: Math.round(Math.max(apiLoad.peakRssMb, batchLoad.peakRssMb)),
    rssAnonMb: Math.round(Math.max(apiLoad.peakAnonMb, batchLoad.peakAnonMb)),
  };
}

function modelLine(model: string, { apiLoad, batchLoad }: Awaited<ReturnType<typeof loadApi>>, batchRows: number) {
  return {
    model,
    apiRps: Math.round(apiLoad.requestsPerSecond),
    p50Ms: apiLoad.p50Ms,
    cpuMicrosPerRequest: round1(apiLoad.cpuMicrosPerRequest),
    batchRowsPerSecond: Math.round(batchLoad.requestsPerSecond * batchRows),
    batchCpuMicrosPerRequest: round1(batchLoad.cpuMicrosPerRequest),
    ...peakMemory(apiLoad, batchLoad),
  };
}

/** Loads each API in turn (one per --model, else the default one), then the bare server. */
async function bench(loadGenerator: LoadGeneratorName, o: Options, models: readonly string[]) {
  const started: Started[] = [];
  const predictions = mkdtempSync(join(tmpdir(), 'mlship-bench-predictions-'));
  try {
    const runs = [];
    for (const model of models.length ? models : [''])
      runs.push(await loadApi(loadGenerator, o, model ? [model] : [], predictions));
    const { api, coldStartToReadyMs, apiLoad, batchLoad } = runs[0]!;
    const bare = await startBare(0);
    started.push(bare);
    const bareLoad = await measure(loadGenerator, bare, {
      authorization: AUTH,
      seconds: o.seconds,
      connections: o.connections,
      threads: o.threads,
      body: SINGLE_BODY,
    });
    assertClean(bareLoad, 'the bare server');
    return {
      loadGenerator,
      apiRps: Math.round(apiLoad.requestsPerSecond),
      bareRps: Math.round(bareLoad.requestsPerSecond),
      ratio: Number((apiLoad.requestsPerSecond / bareLoad.requestsPerSecond).toFixed(3)),
      p50Ms: apiLoad.p50Ms,
      p99Ms: apiLoad.p99Ms,
      bareP50Ms: bareLoad.p50Ms,
      bareP99Ms: bareLoad.p99Ms,
      cpuMicrosPerRequest: round1(apiLoad.cpuMicrosPerRequest),
      bareCpuMicrosPerRequest: round1(bareLoad.cpuMicrosPerRequest),
      batchRows: o.batchRows,
      batchConnections: o.batchConnections,
      batchRps: Math.round(batchLoad.requestsPerSecond),
      batchRowsPerSecond: Math.round(batchLoad.requestsPerSecond * o.batchRows),
      batchP50Ms: batchLoad.p50Ms,
      batchP99Ms: batchLoad.p99Ms,
      batchCpuMicrosPerRequest: round1(batchLoad.cpuMicrosPerRequest),
      startToReadyMs: api.startToReadyMs ?? -1,
      ...(coldStartToReadyMs === undefined ? {} : { coldStartToReadyMs }),
      ...peakMemory(apiLoad, batchLoad),
      requests: apiLoad.requests,
      seconds: o.seconds,
      connections: o.connections,
      threads: o.threads,
      ...(models.length > 1 ? { models: runs.map((r, i) => modelLine(models[i]!, r, o.batchRows)) } : {}),
    };
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(predictions, { recursive: true, force: true });
  }
}

function printTable(result: Awaited<ReturnType<typeof bench>>): void {
  const r = result;
  console.log(
    `load generator: ${r.loadGenerator} (${r.threads} threads, ${r.connections} connections, ${r.seconds} s per ` +
      `server after ${WARM_UP_SECONDS} s of warm-up)`,
  );
  console.table({
    'API req/s (auth, validation, metrics, logs)': r.apiRps,
    'bare node:http req/s': r.bareRps,
    'ratio (target >= 0.33)': r.ratio,
    'API p50 / p99 ms': `${r.p50Ms} / ${r.p99Ms}`,
    'bare p50 / p99 ms': `${r.bareP50Ms} / ${r.bareP99Ms}`,
    'API server CPU µs per request (target <= 45)': r.cpuMicrosPerRequest,
    'bare server CPU µs per request': r.bareCpuMicrosPerRequest,
    [`${r.batchRows}-row batches: rows/s through HTTP (target >= 500,000)`]: r.batchRowsPerSecond,
    [`${r.batchRows}-row batches (${r.batchConnections} connections): p50 / p99 ms`]:
      `${r.batchP50Ms} / ` + `${r.batchP99Ms}`,
    'start to ready ms (target <= 300)': r.startToReadyMs,
    'first start after a build, no code cache yet, ms': r.coldStartToReadyMs ?? '-',
    'API peak RSS MB under load (target <= 100)': r.rssMb,
    'of which anonymous (heaps, not mapped code) MB': r.rssAnonMb,
  });
  if (r.models) console.table(Object.fromEntries(r.models.map(({ model, ...figures }) => [model, figures])));
}

async function main(): Promise<void> {
  const options = parseOptions();
  const loadGenerator = availableLoadGenerator();
  if (loadGenerator === 'autocannon') {
    console.error(
      'bench:api: wrk is not installed (apt-get install -y wrk): falling back to autocannon, a Node process on the ' +
        'same cores, so the bare ceiling reads low',
    );
  }
  const result = await bench(loadGenerator, options, values.model);
  if (values.json) console.log(JSON.stringify(result));
  else printTable(result);
}

main().catch((error: unknown) => {
  console.error(`bench:api failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
