/**
 * Rolling restart under load, for real: three v1 API processes and one v2 on 127.0.0.1 behind nginx
 * from Debian with the repo's edge config (docker/nginx/nginx.conf.template, rendered by render.ts),
 * over TLS. While a bounded load runs, each v1 replica in turn gets SIGTERM, drains and exits, and a
 * new process takes its port, round after round until the load ends; the run passes when not one request failed out of
 * at least --min-requests (default 20,000).
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
import { closedLoop } from './load';
import type { LoopTally } from './load';
import type { Service } from './processes';
import { noteInterrupts, run, sleep, startService, stopService, stopServices } from './processes';
import { waitFor } from '../../scripts/support/poll-until';
import { giveToService, portInUse, unprivileged } from './services';
import { ROOT } from '../../scripts/support/repo-root';

/** The command line: the run passes only with at least `minRequests` and no failure. */
interface Options {
  /** Requests the load must reach (and every replica restarted at least once). */
  minRequests: number;
  /** Hard limit on the run's length. */
  maxSeconds: number;
  /** One JSON line instead of the progress and summary lines. */
  json: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      'min-requests': { type: 'string', default: '20000' },
      'max-seconds': { type: 'string', default: '150' },
      json: { type: 'boolean', default: false },
    },
  });
  const minRequests = Number(values['min-requests']);
  const maxSeconds = Number(values['max-seconds']);
  if (!Number.isInteger(minRequests) || minRequests < 1)
    throw new Error(`--min-requests must be a positive integer, got "${values['min-requests']}"`);
  if (!Number.isFinite(maxSeconds) || maxSeconds < 10)
    throw new Error(`--max-seconds must be at least 10, got "${values['max-seconds']}"`);
  return { minRequests, maxSeconds, json: values.json ?? false };
}

const V1_PORTS = [18801, 18802, 18803];
const V2_PORT = 18804;
const HTTPS_PORT = 18843;
const HTTP_PORT = 18880;
const EDGE = `https://127.0.0.1:${HTTPS_PORT}`;
const WORKERS = 24;
/** Pause between one replica being ready again and the next one stopping, as a rollout would. */
const SETTLE_MS = 2000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** Starts one API replica on `port` and waits until it is ready. */
async function startReplica(port: number, variant: 'v1' | 'v2', modelDir: string, dir: string): Promise<Service> {
  const service = startService(
    `api-${port}`,
    process.execPath,
    [join(ROOT, 'dist/api/server.js')],
    join(dir, `api-${port}.log`),
    {
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
    },
  );
  await waitFor(
    `API on 127.0.0.1:${port}`,
    async () => (await sendRequest(`http://127.0.0.1:${port}`, { path: '/readyz', timeoutMs: 1000 })).status === 200,
    { timeoutMs: 20_000, intervalMs: 100 },
  );
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
  services.push(
    startService('nginx', 'nginx', [...base, '-g', `daemon off; ${pid}`], join(dir, 'nginx.out'), unprivileged()),
  );
  await waitFor(
    `nginx on 127.0.0.1:${HTTP_PORT}`,
    async () =>
      (await sendRequest(`http://127.0.0.1:${HTTP_PORT}`, { path: '/stub_status', timeoutMs: 1000 })).status === 200,
    { timeoutMs: 15_000, intervalMs: 100 },
  );
  return join(dir, 'certs/tls.crt');
}

/** One replica's restart: how long it took to drain and exit, and its replacement to be ready. */
interface Restart {
  port: number;
  drainMs: number;
  readyMs: number;
}

/** The running stack: the API replicas by port, the other services, and where they keep files. */
interface Stack {
  dir: string;
  modelDir: string;
  replicas: Map<number, Service>;
  services: Service[];
}

/** Refuses to start when a port is taken or nginx is missing. */
async function preflight(): Promise<void> {
  for (const port of [...V1_PORTS, V2_PORT, HTTPS_PORT, HTTP_PORT]) {
    if (await portInUse(port)) throw new Error(`port ${port} is in use: stop what holds it and run again`);
  }
  if (spawnSync('sh', ['-c', 'command -v nginx']).status !== 0)
    throw new Error('nginx is not installed (apt-get install nginx)');
}

/** Trains into the stack's registry, starts the replicas and nginx; returns the edge's CA. */
async function startStack(stack: Stack): Promise<Buffer> {
  run(process.execPath, [join(ROOT, 'dist/model/src/train.js'), '--promote', '--model-dir', stack.modelDir], {
    cwd: ROOT,
  });
  for (const port of V1_PORTS) stack.replicas.set(port, await startReplica(port, 'v1', stack.modelDir, stack.dir));
  stack.replicas.set(V2_PORT, await startReplica(V2_PORT, 'v2', stack.modelDir, stack.dir));
  return readFileSync(await startNginx(join(stack.dir, 'edge'), stack.services));
}

/** What the rollout needs to know about the load beside it. */
interface RolloutContext {
  stack: Stack;
  tally: LoopTally;
  started: number;
  deadline: number;
  minRequests: number;
  stopping: () => boolean;
  log: (line: string) => void;
}

/** Stops one v1 replica (SIGTERM, drain, exit), starts its replacement; failures go in the tally. */
async function restartReplica(port: number, context: RolloutContext): Promise<Restart> {
  const { stack, tally, started } = context;
  const old = stack.replicas.get(port)!;
  const t0 = Date.now();
  // stopService sends SIGTERM and waits for the exit (SIGKILL only past the grace period, which would show as a failure
  // below).
  await stopService(old, SHUTDOWN_TIMEOUT_MS + 5000);
  const drainMs = Date.now() - t0;
  if (old.child.signalCode === 'SIGKILL')
    tally.failures.push({ atMs: Date.now() - started, what: `replica ${port} needed SIGKILL` });
  stack.replicas.set(port, await startReplica(port, 'v1', stack.modelDir, stack.dir));
  const restart = { port, drainMs, readyMs: Date.now() - t0 - drainMs };
  context.log(
    `  replica ${port}: drained and exited in ${drainMs} ms (exit ${old.child.exitCode}), replacement ready in ` +
      `${restart.readyMs} ms; ${tally.total} requests so far, ${tally.failures.length} failed`,
  );
  if (old.child.exitCode !== 0)
    tally.failures.push({ atMs: Date.now() - started, what: `replica ${port} exited ${old.child.exitCode}` });
  return restart;
}

/**
 * Round after round of restarts until the request target is met, so faults span the whole load.
 * `restartsDone` is false when it stopped on a signal or had no time for a whole round.
 */
async function rollout(
  context: RolloutContext,
  restarts: Restart[],
): Promise<{ rounds: number; restartsDone: boolean }> {
  let rounds = 0;
  await sleep(SETTLE_MS);
  while (
    !context.stopping() &&
    Date.now() < context.deadline &&
    (rounds === 0 || context.tally.total < context.minRequests)
  ) {
    for (const port of V1_PORTS) {
      if (context.stopping()) return { rounds, restartsDone: false };
      restarts.push(await restartReplica(port, context));
      await sleep(SETTLE_MS);
    }
    rounds++;
  }
  return { rounds, restartsDone: rounds > 0 };
}

/** Prints the verdict (one JSON line with --json) and returns whether the run passed. */
function report(
  opts: Options,
  outcome: { tally: LoopTally; seconds: number; rounds: number; restartsDone: boolean; restarts: Restart[] },
): boolean {
  const { tally, seconds, rounds, restartsDone, restarts } = outcome;
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
    console.log(
      `requests: ${tally.total} in ${summary.seconds} s (${summary.requestsPerSecond}/s), statuses ` +
        `${JSON.stringify(tally.statuses)}`,
    );
    if (tally.failures.length) console.log(`first failures: ${JSON.stringify(summary.firstFailures)}`);
    if (!restartsDone) console.log('not every replica was restarted before the time limit');
    if (tally.total < opts.minRequests)
      console.log(
        `fewer than ${opts.minRequests} requests in ${opts.maxSeconds} s: raise --max-seconds on a slow machine`,
      );
    console.log(`rolling restart: ${passed ? 'passed' : 'FAILED'}: ${tally.failures.length} failed of ${tally.total}`);
  }
  return passed;
}

/** Load through the edge while the rollout restarts the v1 replicas; ends when both have. */
async function loadWhileRolling(opts: Options, stack: Stack, ca: Buffer, stopping: () => boolean): Promise<boolean> {
  const log = (line: string): void => {
    if (!opts.json) console.log(line);
  };
  log(
    `rolling restart: 3 v1 replicas + 1 v2 behind nginx ${EDGE}; load until ${opts.minRequests} requests and every ` +
      `replica restarted`,
  );
  const agent = new Agent({ keepAlive: true, maxSockets: WORKERS, ca });
  const alice = basicAuth('alice', 'wonderland');
  const started = Date.now();
  const deadline = started + opts.maxSeconds * 1000;
  let restartsDone = false;
  const load = closedLoop({
    clients: WORKERS,
    send: () =>
      sendRequest(
        EDGE,
        { path: '/predict', json: { X: SETOSA }, headers: { authorization: alice }, timeoutMs: 15_000 },
        { agent, ca },
      ),
    keepGoing: (tally) => !stopping() && Date.now() < deadline && !(restartsDone && tally.total >= opts.minRequests),
  });
  const restarts: Restart[] = [];
  const context: RolloutContext = {
    stack,
    tally: load.tally,
    started,
    deadline,
    minRequests: opts.minRequests,
    stopping,
    log,
  };
  const [, rolled] = await Promise.all([
    load.done,
    rollout(context, restarts).then((result) => {
      restartsDone = result.restartsDone;
      return result;
    }),
  ]);
  agent.destroy();
  return report(opts, { tally: load.tally, seconds: (Date.now() - started) / 1000, ...rolled, restarts });
}

async function main(): Promise<number> {
  const opts = options();
  await preflight();
  const dir = mkdtempSync(join(tmpdir(), 'mlship-rolling-'));
  chmodSync(dir, 0o755);
  const stack: Stack = { dir, modelDir: join(dir, 'models'), replicas: new Map(), services: [] };
  const stopping = noteInterrupts();
  try {
    const ca = await startStack(stack);
    return (await loadWhileRolling(opts, stack, ca, stopping)) ? 0 : 1;
  } finally {
    await stopServices([...stack.replicas.values(), ...stack.services]);
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
