import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Started } from '../loadtest/src/runner/processes';
import { ROOT, startApi, startBare } from '../loadtest/src/runner/processes';

/**
 * API throughput benchmark: the real server as `npm start` runs it (auth, validation, metrics,
 * request logs and the prediction log all on) against a bare node:http server that answers a
 * constant (both started by the load-test runner's helpers), each loaded in the same run by
 * autocannon from a second process on 127.0.0.1, bounded in time. Prints a table, or one JSON line
 * with --json.
 */
const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } } });
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const BODY = JSON.stringify({ X: [5.9, 3.0, 4.2, 1.5] });
const AUTH = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;


function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

interface Load {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  requests: number;
}

/** Runs autocannon in its own process against 127.0.0.1 for a bounded time; samples `pid`'s RSS meanwhile. */
async function load(port: number, pid: number): Promise<Load & { peakRssMb: number }> {
  let peak = rssMb(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/autocannon/autocannon.js'), '--json', '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'Content-Type=application/json', '-H', `Authorization=${AUTH}`, '-b', BODY, `http://127.0.0.1:${port}/predict`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.on('exit', r));
  clearInterval(sampler);
  const result = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { rps: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, non2xx: result.non2xx, requests: result.requests.total, peakRssMb: peak };
}

async function main(): Promise<void> {
  const started: Started[] = [];
  const predictions = mkdtempSync(join(tmpdir(), 'mlship-bench-predictions-'));
  try {
    const env = { PREDICTION_LOG_DIR: predictions, MONITORING_TOKEN: 'bench-monitoring-token-0123' };
    // Start to ready is measured as production starts: with V8's code cache, which the image
    // ships and every start after the first writes. A first start after a build compiles from
    // source; that figure is reported as coldStartToReadyMs and the server is started again.
    let api = await startApi(0, env);
    let coldStartToReadyMs: number | undefined;
    if (api.codeCache === 'cold') {
      coldStartToReadyMs = api.startToReadyMs;
      await api.stop();
      api = await startApi(0, env);
    }
    started.push(api);
    const bare = await startBare(0);
    started.push(bare);
    const apiPort = api.port;
    const barePort = bare.port;
    const startToReadyMs = api.startToReadyMs ?? -1;

    // Warm both up briefly, then measure each in turn in the same run.
    const check = await fetch(`http://127.0.0.1:${apiPort}/predict`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: AUTH }, body: BODY });
    if (check.status !== 200) throw new Error(`the API answered ${check.status} to the benchmark request`);
    const apiLoad = await load(apiPort, api.pid);
    const bareLoad = await load(barePort, bare.pid);
    if (apiLoad.errors + apiLoad.non2xx > 0) throw new Error(`the API failed ${apiLoad.errors} and refused ${apiLoad.non2xx} requests under load`);

    const result = {
      apiRps: Math.round(apiLoad.rps),
      bareRps: Math.round(bareLoad.rps),
      ratio: Number((apiLoad.rps / bareLoad.rps).toFixed(3)),
      p50Ms: apiLoad.p50Ms,
      p99Ms: apiLoad.p99Ms,
      startToReadyMs,
      ...(coldStartToReadyMs === undefined ? {} : { coldStartToReadyMs }),
      rssMb: Math.round(apiLoad.peakRssMb),
      requests: apiLoad.requests,
      seconds,
      connections,
    };
    if (values.json) console.log(JSON.stringify(result));
    else
      console.table({
        'API req/s (auth, validation, metrics, logs)': result.apiRps,
        'bare node:http req/s': result.bareRps,
        'ratio (target >= 0.30)': result.ratio,
        'API p50 ms': result.p50Ms,
        'API p99 ms': result.p99Ms,
        'start to ready ms (target <= 300)': result.startToReadyMs,
        'first start after a build, no code cache yet, ms': result.coldStartToReadyMs ?? '-',
        'API peak RSS MB under load (target <= 100)': result.rssMb,
      });
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(predictions, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench:api failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
