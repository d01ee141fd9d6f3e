/**
 * Rolling restart under load, for real: three v1 API processes and one v2 on 127.0.0.1 behind nginx
 * from Debian with the repo's edge config (docker/nginx/nginx.conf.template, rendered by render.ts),
 * over TLS. While a bounded load runs, each v1 replica in turn gets SIGTERM, drains and exits, and a
 * new process takes its port, round after round until the load ends; the run passes when not one request failed out of at least
 * --min-requests (default 20,000).
 *
 *   npm run build && npx tsx docker/e2e/rolling-restart.ts [--min-requests 20000] [--max-seconds 150] [--json]
 *
 * Ports 18801-18804 (API) and 18843/18880 (nginx), clear of the contract ports the compose stack
 * and CI use. Everything it starts is stopped by PID, also on failure or Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_NGINX_OPTIONS, renderNginxConfig } from '../nginx/render';
import { SETOSA, basicAuth, sendRequest } from '../smoke/smoke';
import type { Service } from './processes';
import { run, sleep, startService, stopService, waitFor } from './processes';
import { ROOT, giveToService, portInUse, unprivileged } from './services';

const V1_PORTS = [18801, 18802, 18803];
const V2_PORT = 18804;
const HTTPS_PORT = 18843;
const HTTP_PORT = 18880;
const EDGE = `https://127.0.0.1:${HTTPS_PORT}`;
const WORKERS = 24;
/** Pause between one replica being ready again and the next one stopping, as a rollout would. */
const SETTLE_MS = 2000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

interface Options {
  minRequests: number;
  maxSeconds: number;
  json: boolean;
}

function options(): Options {
  const { values } = parseArgs({ options: { 'min-requests': { type: 'string', default: '20000' }, 'max-seconds': { type: 'string', default: '150' }, json: { type: 'boolean', default: false } } });
  const minRequests = Number(values['min-requests']);
  const maxSeconds = Number(values['max-seconds']);
  if (!Number.isInteger(minRequests) || minRequests < 1) throw new Error(`--min-requests must be a positive integer, got "${values['min-requests']}"`);
  if (!Number.isFinite(maxSeconds) || maxSeconds < 10) throw new Error(`--max-seconds must be at least 10, got "${values['max-seconds']}"`);
  return { minRequests, maxSeconds, json: values.json ?? false };
}

/** Starts one API replica on `port` and waits until it is ready. */
async function startReplica(port: number, variant: 'v1' | 'v2', modelDir: string, dir: string): Promise<Service> {
  const service = startService(`api-${port}`, process.execPath, [join(ROOT, 'dist/api/server.js')], join(dir, `api-${port}.log`), {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MODEL_DIR: modelDir,
      API_VARIANT: variant,
      USERS_FILE: join(ROOT, 'api/users.dev.txt'),
      RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_LEVEL: 'warn',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    },
  });
  await waitFor(`API on 127.0.0.1:${port}`, async () => (await sendRequest(`http://127.0.0.1:${port}`, { path: '/readyz', timeoutMs: 1000 })).status === 200, 20_000, 100);
  return service;
}

/** Renders the repo's nginx template for these ports, checks it and runs nginx in the foreground. */
async function startNginx(dir: string, services: Service[]): Promise<string> {
  for (const sub of ['logs', 'tmp', 'certs']) mkdirSync(join(dir, sub), { recursive: true });
  run('bash', [join(ROOT, 'docker/nginx/make-cert.sh'), join(dir, 'certs')]);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    renderNginxConfig({
      ...DEFAULT_NGINX_OPTIONS,
      httpsPort: HTTPS_PORT,
      httpPort: HTTP_PORT,
      v1Servers: V1_PORTS.map((p) => `127.0.0.1:${p}`),
      v2Servers: [`127.0.0.1:${V2_PORT}`],
      // One client address sends all the load here: the edge limit is not what this run tests.
      ratePerSecond: 100_000,
      rateBurst: 100_000,
      tlsCert: 'certs/tls.crt',
      tlsKey: 'certs/tls.key',
      accessLog: 'logs/access.log',
      tempDir: 'tmp',
      workerProcesses: 1,
    }),
  );
  const base = ['-p', `${dir}/`, '-c', conf, '-e', join(dir, 'logs/error.log')];
  const pid = `pid ${join(dir, 'nginx.pid')};`;
  run('nginx', [...base, '-t', '-q', '-g', pid]);
  giveToService(dir);
  services.push(startService('nginx', 'nginx', [...base, '-g', `daemon off; ${pid}`], join(dir, 'nginx.out'), unprivileged()));
  await waitFor(`nginx on 127.0.0.1:${HTTP_PORT}`, async () => (await sendRequest(`http://127.0.0.1:${HTTP_PORT}`, { path: '/stub_status', timeoutMs: 1000 })).status === 200, 15_000, 100);
  return join(dir, 'certs/tls.crt');
}

interface Tally {
  total: number;
  statuses: Record<string, number>;
  failures: Array<{ atMs: number; what: string }>;
  perReplica: Record<string, number>;
}

async function main(): Promise<number> {
  const opts = options();
  for (const port of [...V1_PORTS, V2_PORT, HTTPS_PORT, HTTP_PORT]) {
    if (await portInUse(port)) throw new Error(`port ${port} is in use: stop what holds it and run again`);
  }
  if (spawnSync('sh', ['-c', 'command -v nginx']).status !== 0) throw new Error('nginx is not installed (apt-get install nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'mlship-rolling-'));
  chmodSync(dir, 0o755);
  const services: Service[] = [];
  const replicas = new Map<number, Service>();
  const log = (line: string): void => {
    if (!opts.json) console.log(line);
  };
  let stopping = false;
  const onSignal = (): void => {
    stopping = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const modelDir = join(dir, 'models');
    run(process.execPath, [join(ROOT, 'dist/model/src/train.js'), '--promote', '--model-dir', modelDir], { cwd: ROOT });
    for (const port of V1_PORTS) replicas.set(port, await startReplica(port, 'v1', modelDir, dir));
    replicas.set(V2_PORT, await startReplica(V2_PORT, 'v2', modelDir, dir));
    const ca = readFileSync(await startNginx(join(dir, 'edge'), services));
    log(`rolling restart: 3 v1 replicas + 1 v2 behind nginx ${EDGE}; load until ${opts.minRequests} requests and every replica restarted`);

    const agent = new Agent({ keepAlive: true, maxSockets: WORKERS, ca });
    const alice = basicAuth('alice', 'wonderland');
    const tally: Tally = { total: 0, statuses: {}, failures: [], perReplica: {} };
    const started = Date.now();
    const deadline = started + opts.maxSeconds * 1000;
    let restartsDone = false;
    const restarts: Array<{ port: number; drainMs: number; readyMs: number }> = [];

    const worker = async (): Promise<void> => {
      while (!stopping && Date.now() < deadline && !(restartsDone && tally.total >= opts.minRequests)) {
        const at = Date.now() - started;
        tally.total++;
        try {
          const res = await sendRequest(EDGE, { path: '/predict', json: { X: SETOSA }, headers: { authorization: alice }, timeoutMs: 15_000 }, { agent, ca });
          tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
          if (res.status !== 200) tally.failures.push({ atMs: at, what: `status ${res.status}: ${res.body.slice(0, 120)}` });
        } catch (e) {
          tally.statuses.error = (tally.statuses.error ?? 0) + 1;
          tally.failures.push({ atMs: at, what: e instanceof Error ? e.message : String(e) });
        }
      }
    };

    // Round after round of restarts until the request target is met, so faults span the whole load.
    let rounds = 0;
    const rollout = async (): Promise<void> => {
      await sleep(SETTLE_MS);
      while (!stopping && Date.now() < deadline && (rounds === 0 || tally.total < opts.minRequests)) {
        for (const port of V1_PORTS) {
          if (stopping) return;
          const old = replicas.get(port)!;
          const t0 = Date.now();
          // stopService sends SIGTERM and waits for the exit (SIGKILL only past the grace period, which would show as a failure below).
          await stopService(old, SHUTDOWN_TIMEOUT_MS + 5000);
          const drainMs = Date.now() - t0;
          if (old.child.signalCode === 'SIGKILL') tally.failures.push({ atMs: Date.now() - started, what: `replica ${port} needed SIGKILL` });
          replicas.set(port, await startReplica(port, 'v1', modelDir, dir));
          restarts.push({ port, drainMs, readyMs: Date.now() - t0 - drainMs });
          log(`  replica ${port}: drained and exited in ${drainMs} ms (exit ${old.child.exitCode}), replacement ready in ${restarts[restarts.length - 1]!.readyMs} ms; ${tally.total} requests so far, ${tally.failures.length} failed`);
          if (old.child.exitCode !== 0) tally.failures.push({ atMs: Date.now() - started, what: `replica ${port} exited ${old.child.exitCode}` });
          await sleep(SETTLE_MS);
        }
        rounds++;
      }
      restartsDone = rounds > 0;
    };

    await Promise.all([...Array.from({ length: WORKERS }, () => worker()), rollout()]);
    agent.destroy();
    const seconds = (Date.now() - started) / 1000;
    const passed = restartsDone && tally.failures.length === 0 && tally.total >= opts.minRequests;
    const summary = {
      passed,
      requests: tally.total,
      failed: tally.failures.length,
      seconds: +seconds.toFixed(1),
      requestsPerSecond: Math.round(tally.total / seconds),
      statuses: tally.statuses,
      rounds,
      restarts,
      firstFailures: tally.failures.slice(0, 5),
    };
    if (opts.json) console.log(JSON.stringify({ rollingRestart: summary }));
    else {
      console.log(`restarts: ${restarts.length} (${rounds} rounds over the 3 v1 replicas)`);
      console.log(`requests: ${tally.total} in ${summary.seconds} s (${summary.requestsPerSecond}/s), statuses ${JSON.stringify(tally.statuses)}`);
      if (tally.failures.length) console.log(`first failures: ${JSON.stringify(summary.firstFailures)}`);
      if (!restartsDone) console.log('not every replica was restarted before the time limit');
      if (tally.total < opts.minRequests) console.log(`fewer than ${opts.minRequests} requests in ${opts.maxSeconds} s: raise --max-seconds on a slow machine`);
      console.log(`rolling restart: ${passed ? 'passed' : 'FAILED'}: ${tally.failures.length} failed of ${tally.total}`);
    }
    return passed ? 0 : 1;
  } finally {
    for (const service of [...replicas.values(), ...services].reverse()) {
      try {
        await stopService(service);
      } catch (e) {
        console.error(`teardown: ${service.name} (pid ${service.pid}): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (process.env.E2E_KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
