import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * API throughput benchmark: the real server as `npm start` runs it (auth, validation, metrics,
 * request logs and the prediction log all on) against a bare node:http server that answers a constant, each loaded in
 * the same run by autocannon from a second process on 127.0.0.1, bounded in time. Prints a table,
 * or one JSON line with --json.
 */
const ROOT = resolve(__dirname, '..', '..');
const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } } });
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const BODY = JSON.stringify({ X: [5.9, 3.0, 4.2, 1.5] });
const AUTH = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;

const BARE_SERVER = `
const http = require('node:http');
const answer = JSON.stringify({ model: 'M1', version: '000000000000', variant: 'v1', prediction: 'versicolor' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end(answer); });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs = 20000): Promise<RegExpExecArray> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${seen.slice(-500)}`)), timeoutMs);
    const onData = (data: Buffer): void => {
      seen += data.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolvePromise(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${seen.slice(-500)}`)));
  });
}

/** The environment for servers under test: ours, minus variables that only the sandbox needs. */
function serverEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ca, ...rest } = process.env;
  return rest;
}

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
  const work = mkdtempSync(join(tmpdir(), 'mlship-bench-'));
  const children: ChildProcess[] = [];
  try {
    const modelDir = join(work, 'models');
    const trained = spawnSync(process.execPath, [join(ROOT, 'dist/model/src/train.js'), '--promote', '--model-dir', modelDir], { cwd: ROOT, encoding: 'utf8' });
    if (trained.status !== 0) throw new Error(`training failed: ${trained.stderr}`);

    const api = spawn(process.execPath, ['--max-semi-space-size=2', join(ROOT, 'dist/api/server.js')], {
      cwd: ROOT,
      // NODE_EXTRA_CA_CERTS is this sandbox's, for npm behind its proxy: Node parses the bundle at
      // every start (~100 ms here), and the API makes no outbound TLS, so it is left out.
      env: { ...serverEnv(), PORT: '0', HOST: '127.0.0.1', MODEL_DIR: modelDir, LOG_LEVEL: 'info', PREDICTION_LOG_DIR: join(work, 'predictions'), RATE_LIMIT_PER_MINUTE: '100000000', MONITORING_TOKEN: 'bench-monitoring-token-0123' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(api);
    const ready = await waitForLine(api, /"port":(\d+).*"startToReadyMs":(\d+)/);
    // Past readiness the request log goes to a file, as a log shipper would take it.
    api.stdout?.pipe(createWriteStream(join(work, 'api.log')));
    const apiPort = Number(ready[1]);
    const startToReadyMs = Number(ready[2]);

    const bare = spawn(process.execPath, ['-e', BARE_SERVER], { env: serverEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(bare);
    const barePort = Number((await waitForLine(bare, /"port":(\d+)/))[1]);

    // Warm both up briefly, then measure each in turn in the same run.
    const check = await fetch(`http://127.0.0.1:${apiPort}/predict`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: AUTH }, body: BODY });
    if (check.status !== 200) throw new Error(`the API answered ${check.status} to the benchmark request`);
    const apiLoad = await load(apiPort, api.pid!);
    const bareLoad = await load(barePort, bare.pid!);
    if (apiLoad.errors + apiLoad.non2xx > 0) throw new Error(`the API failed ${apiLoad.errors} and refused ${apiLoad.non2xx} requests under load`);

    const result = {
      apiRps: Math.round(apiLoad.rps),
      bareRps: Math.round(bareLoad.rps),
      ratio: Number((apiLoad.rps / bareLoad.rps).toFixed(3)),
      p50Ms: apiLoad.p50Ms,
      p99Ms: apiLoad.p99Ms,
      startToReadyMs,
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
        'API peak RSS MB under load (target <= 100)': result.rssMb,
      });
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench:api failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
