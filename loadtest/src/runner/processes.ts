import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../../scripts/support/repo-root';

/**
 * The V8 flags `npm start` and the image (NODE_OPTIONS) run the API with, so load and memory
 * figures are production's. A 2 MiB young generation: with allocation-site pretenuring off
 * (launch.ts), a 4 MiB one cost the same CPU per request in alternating windows (85, 80, 104, 111
 * against 76, 99, 88, 113 µs) and 4-8 MB more RSS, which the batch thread needs (RSS target: 100
 * MB under load). An old generation sized for the pod's 256 MiB limit: V8 then grows it by small
 * steps between full collections, so RSS stays flat over a soak instead of climbing until the
 * first one.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=192'] as const;

/** A process the runner started, and how to stop it. */
export interface Started {
  port: number;
  pid: number;
  /** For the API: process start to its "ready" line, as the server logs it. */
  startToReadyMs?: number;
  /** For the API: whether that start read V8's code cache ('used') or compiled from source ('cold'). */
  codeCache?: string;
  stop(): Promise<void>;
}

/**
 * The environment for servers under test: ours, less NODE_EXTRA_CA_CERTS, which is this sandbox's
 * (for npm behind its proxy). Node parses that bundle at every start (~100 ms here) and neither
 * server makes an outbound TLS connection.
 */
function serverEnv(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _ca, ...rest } = process.env;
  return rest;
}

/** Resolves with the first match of `pattern` on the child's stdout; rejects on exit or timeout. */
function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 20000,
): Promise<RegExpExecArray> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => fail(new Error(`${what} did not start within ${timeoutMs} ms: ${seen.slice(-300)}`)),
      timeoutMs,
    );
    const onData = (data: Buffer): void => {
      seen += data.toString();
      const match = pattern.exec(seen);
      if (match) {
        cleanup();
        resolvePromise(match);
      }
    };
    const onExit = (code: number | null): void =>
      fail(new Error(`${what} exited with ${code}: ${seen.slice(-300).trim()}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
    child.on('exit', onExit);
  });
}

function stopper(child: ChildProcess, cleanup: () => void = () => undefined): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    cleanup();
  };
}

/**
 * Trains the models of model/models.json into a temporary registry and starts the real API
 * (`dist/api/server.js`, built by `npm run build`) on 127.0.0.1:`port` (0 picks a free port) with
 * the rate limit out of the way, as a load test needs; everything else (auth, validation, metrics,
 * request logs) on. `serve` names the models to train, the first served as v1 (MODEL_NAME) and the
 * second, or the first again, as v2 (AB_MODEL_NAME: the API refuses a pair with other features);
 * empty trains them all and serves the API's defaults (every model; M1 and M2 behind /predict).
 * Its logs are drained and dropped; the registry is removed on stop. `extraNodeFlags` go after
 * production's (the profiler passes `--cpu-prof`, which NODE_OPTIONS does not accept).
 */
export async function startApi(
  port: number,
  env: Record<string, string> = {},
  extraNodeFlags: readonly string[] = [],
  serve: readonly string[] = [],
): Promise<Started> {
  const server = join(ROOT, 'dist/api/server.js');
  const train = join(ROOT, 'dist/model/src/train.js');
  if (!existsSync(server) || !existsSync(train)) throw new Error('the API is not built: run `npm run build` first');
  const work = mkdtempSync(join(tmpdir(), 'mlship-loadtest-'));
  const modelDir = join(work, 'models');
  const trained = spawnSync(
    process.execPath,
    [train, '--promote', '--model-dir', modelDir, ...serve.flatMap((name) => ['--model', name])],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (trained.status !== 0) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`training the models failed: ${(trained.stderr || trained.stdout).trim().split('\n').pop() ?? ''}`);
  }
  const served = serve.length ? { MODEL_NAME: serve[0]!, AB_MODEL_NAME: serve[1] ?? serve[0]! } : {};
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...extraNodeFlags, server], {
    cwd: ROOT,
    env: {
      ...serverEnv(),
      PORT: String(port),
      HOST: '127.0.0.1',
      MODEL_DIR: modelDir,
      RATE_LIMIT_PER_MINUTE: '100000000',
      LOG_LEVEL: 'info',
      ...served,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cleanup = (): void => rmSync(work, { recursive: true, force: true });
  try {
    // The ready line (logged at info) names the port, which matters when port 0 let the OS pick.
    const ready = await waitForOutput(
      child,
      /"port":(\d+).*"startToReadyMs":(\d+)(?:,"codeCache":"(\w+)")?.*"msg":"ready"/,
      'the API',
    );
    const actualPort = Number(ready[1]);
    await waitReady(`http://127.0.0.1:${actualPort}/readyz`, child);
    child.stdout?.resume();
    child.stderr?.resume();
    return {
      port: actualPort,
      pid: child.pid!,
      startToReadyMs: Number(ready[2]),
      ...(ready[3] ? { codeCache: ready[3] } : {}),
      stop: stopper(child, cleanup),
    };
  } catch (error) {
    await stopper(child, cleanup)();
    throw error;
  }
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the API exited with ${child.exitCode}: ${stderr.trim().split('\n').pop() ?? ''}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the API did not become ready at ${url} within ${timeoutMs} ms`);
}

/**
 * The ceiling for the comparison: a bare node:http server that answers every request with a
 * constant JSON body, no routing, auth, validation, metrics or logs.
 */
const BARE_SERVER = `
const http = require('node:http');
const answer = JSON.stringify({ model: 'M1', version: 'bare', variant: 'v1', prediction: 'versicolor' });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Variant': 'v1' });
    res.end(answer);
  });
});
server.listen(Number(process.argv[1]), '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Starts the bare node:http ceiling on 127.0.0.1:`port` (0 picks a free port). */
export async function startBare(port: number): Promise<Started> {
  const child = spawn(process.execPath, ['-e', BARE_SERVER, String(port)], {
    env: serverEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const match = await waitForOutput(child, /"port":(\d+)/, 'the bare node server', 10000);
    child.stdout?.resume();
    return { port: Number(match[1]), pid: child.pid!, stop: stopper(child) };
  } catch (error) {
    await stopper(child)();
    throw error;
  }
}
