import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startApi } from '../loadtest/src/runner/processes';
import { availableLoadGenerator, runLoad } from './bench/load-generators';
import type { LoadGeneratorName, LoadResult, LoadSpec } from './bench/load-generators';
import { cpuMicros } from './bench/proc';
import type { CpuProfile } from './bench/profile-summary';
import { jsonCosts, summariseProfile } from './bench/profile-summary';
import { BENCH_AUTHORIZATION, batchBody, positiveInt, SINGLE_ROW_BODY } from './bench/requests';

/**
 * Profiles the API under load: starts the built server as `npm start` runs it plus `--cpu-prof`,
 * loads POST /predict with wrk (autocannon if wrk is missing) for a warm-up and then the measured
 * window, stops the server so V8 writes the .cpuprofile, and prints where the measured window's
 * CPU went, grouped by category (see scripts/bench/profile-summary.ts), as a Markdown table.
 */
const USAGE =
  'usage: npm run profile:api -- [--seconds 10] [--connections 64] [--threads 2] [--batch-rows N] [--model NAME] ' +
  '[--out reports/profile/api.cpuprofile]';
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    threads: { type: 'string', default: '2' },
    'batch-rows': { type: 'string' },
    // One model served alone (as bench:api's --model): the default models when absent.
    model: { type: 'string' },
    out: { type: 'string', default: 'reports/profile/api.cpuprofile' },
  },
});

const WARM_UP_SECONDS = 2;
const nowMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** The measured window: the load's results, the server's CPU over it, and its bounds on V8's clock. */
interface MeasuredLoad {
  load: LoadResult;
  processCpu: number;
  from: number;
  to: number;
}

/**
 * Starts the API with the profiler on, warms it up, loads it for the measured window, and stops it so
 * V8 writes the .cpuprofile into `profileDir`.
 */
async function loadProfiledApi(
  work: string,
  profileDir: string,
  run: { generator: LoadGeneratorName; spec: Omit<LoadSpec, 'url' | 'seconds'>; seconds: number },
): Promise<MeasuredLoad> {
  const api = await startApi(
    0,
    { PREDICTION_LOG_DIR: join(work, 'predictions'), MONITORING_TOKEN: 'bench-monitoring-token-0123' },
    ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    values.model ? [values.model] : [],
  );
  try {
    const spec = { url: `http://127.0.0.1:${api.port}/predict`, ...run.spec };
    await runLoad(run.generator, { ...spec, seconds: WARM_UP_SECONDS });
    // V8's sample timestamps and process.hrtime read the same monotonic clock, so the window
    // below picks out the measured load from start-up and warm-up.
    const from = nowMicros();
    const cpuBefore = cpuMicros(api.pid);
    const load = await runLoad(run.generator, { ...spec, seconds: run.seconds });
    const processCpu = cpuMicros(api.pid) - cpuBefore;
    const to = nowMicros();
    return { load, processCpu, from, to };
  } finally {
    await api.stop();
  }
}

/** Copies the .cpuprofile the server wrote to --out; returns that path and the profile. */
function keepProfile(profileDir: string): { out: string; profile: CpuProfile } {
  const written = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!written) throw new Error(`the server wrote no .cpuprofile into ${profileDir}`);
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(join(profileDir, written), out);
  return { out, profile: JSON.parse(readFileSync(out, 'utf8')) as CpuProfile };
}

/** What JSON costs per request, timed here on the request body and an answer of the same shape. */
function printJsonCosts(body: string, batchRows: number | undefined): void {
  const rows = batchRows ?? 1;
  const answer = {
    model: 'M1',
    version: '190357a56951',
    variant: 'v1',
    ...(batchRows ? { predictions: Array<string>(rows).fill('versicolor') } : { prediction: 'versicolor' }),
  };
  const json = jsonCosts(body, answer);
  console.log(
    `\nJSON, inside the categories above: JSON.parse of the body ${json.parseMicros.toFixed(2)} µs, ` +
      `JSON.stringify of the answer ${json.stringifyMicros.toFixed(2)} µs (timed here, not in the server)`,
  );
}

async function main(): Promise<void> {
  const seconds = positiveInt('seconds', values.seconds, USAGE);
  const connections = positiveInt('connections', values.connections, USAGE);
  const threads = positiveInt('threads', values.threads, USAGE);
  const batchRows =
    values['batch-rows'] === undefined ? undefined : positiveInt('batch-rows', values['batch-rows'], USAGE);
  const generator = availableLoadGenerator();
  if (generator === 'autocannon')
    console.error('profile:api: wrk is not installed (apt-get install -y wrk): falling back to autocannon');

  const work = mkdtempSync(join(tmpdir(), 'mlship-profile-'));
  try {
    const profileDir = join(work, 'profile');
    const body = batchRows ? batchBody(batchRows) : SINGLE_ROW_BODY;
    const { load, processCpu, from, to } = await loadProfiledApi(work, profileDir, {
      generator,
      spec: { body, authorization: BENCH_AUTHORIZATION, connections, threads },
      seconds,
    });
    if (load.errors + load.non2xx > 0)
      throw new Error(`the API failed ${load.errors} and refused ${load.non2xx} requests under load`);
    const { out, profile } = keepProfile(profileDir);
    printSummary(summariseProfile(profile, from, to), {
      requests: load.requests,
      processCpu,
      generator,
      seconds,
      connections,
      batchRows,
      out,
    });
    printJsonCosts(body, batchRows);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function printSummary(
  summary: ReturnType<typeof summariseProfile>,
  run: {
    requests: number;
    processCpu: number;
    generator: string;
    seconds: number;
    connections: number;
    batchRows: number | undefined;
    out: string;
  },
): void {
  const cpuPerRequest = run.processCpu / run.requests;
  const what = run.batchRows ? `${run.batchRows}-row batches` : 'single-row predictions';
  console.log(
    `${run.requests} ${what} in ${run.seconds} s (${run.generator}, ${run.connections} connections); profile: ` +
      `${run.out}`,
  );
  console.log(`server CPU per request from /proc (all threads, profiler on): ${cpuPerRequest.toFixed(1)} µs\n`);
  // Sample intervals are wall time, so on a busy machine the profile's own sum overstates CPU;
  // its shares are applied to the /proc figure instead.
  console.log('| category | share of main-thread samples | µs per request (share × /proc figure) |');
  console.log('|---|---|---|');
  const rows = [...summary.byCategory.entries()].sort((a, b) => b[1] - a[1]);
  for (const [category, micros] of rows) {
    const share = micros / summary.busyMicros;
    console.log(`| ${category} | ${(100 * share).toFixed(1)}% | ${(share * cpuPerRequest).toFixed(1)} |`);
  }
}

main().catch((error: unknown) => {
  console.error(`profile:api failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
