import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { closingLine, plainLine } from './schemathesis-summary';
import { run } from './test/run';
import { ROOT } from '../scripts/support/repo-root';

/**
 * `npm run test:schema`: Schemathesis against the live API, from the API's own /openapi.json.
 * Trains a registry into a temporary directory, starts the built server (dist/) on 127.0.0.1 and
 * a port the OS picks, with a MONITORING_TOKEN, and runs every Schemathesis check with the dev
 * user alice and the token (tools/schemathesis.toml), bounded in examples per operation and in
 * time. Exits with Schemathesis's status; a missing tool is one line saying how to install it.
 * Its output passes through `plainLine` and ends with `closingLine` (see schemathesis-summary.ts).
 */
const SCHEMATHESIS = join(ROOT, '.venv-tools/bin/schemathesis');
const MAX_EXAMPLES = Number(process.env.SCHEMA_MAX_EXAMPLES ?? 40);
const TIME_LIMIT_MS = 600_000;

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

async function startServer(env: Record<string, string>): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(ROOT, 'dist/api/server.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the API did not start within 20 s: ${output.slice(-400)}`)),
      20_000,
    );
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /"port":(\d+).*"msg":"ready"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePort(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`the API exited (${code}) before it was ready: ${output.slice(-400)}`)),
    );
  });
  // Keep draining its log (one line per request) so the pipe never fills and stalls the server.
  child.stdout.removeAllListeners('data').resume();
  child.stderr.removeAllListeners('data').resume();
  return { port, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  if (!existsSync(SCHEMATHESIS)) fail('schemathesis is not installed: run npm run tools:install');
  if (!existsSync(join(ROOT, 'dist/api/server.js'))) fail('dist/ is missing: run npm run build');
  const modelDir = mkdtempSync(join(tmpdir(), 'mlship-schema-'));
  const trained = await run(
    process.execPath,
    [join(ROOT, 'dist/model/src/train.js'), '--promote', '--model-dir', modelDir],
    { cwd: ROOT, timeoutMs: 120_000 },
  );
  if (trained.status !== 0) fail(`training failed: ${trained.output.trim().split('\n').pop() ?? ''}`);

  const token = randomBytes(24).toString('hex');
  const server = await startServer({
    PORT: '0',
    HOST: '127.0.0.1',
    MODEL_DIR: modelDir,
    USERS_FILE: join(ROOT, 'api/users.dev.txt'),
    MONITORING_TOKEN: token,
    // Schemathesis sends thousands of requests a minute; the per-user limit is not what it tests.
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  try {
    const args = [
      '--config-file',
      join(ROOT, 'tools/schemathesis.toml'),
      'run',
      `http://127.0.0.1:${server.port}/openapi.json`,
      '--checks',
      'all',
      '--max-examples',
      String(MAX_EXAMPLES),
      '--request-timeout',
      '10',
      '--no-color',
    ];
    const child = spawn(SCHEMATHESIS, args, {
      cwd: ROOT,
      env: { ...process.env, SCHEMA_USER: 'alice', SCHEMA_PASSWORD: 'wonderland', MONITORING_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      output += line + '\n';
      console.log(plainLine(line));
    });
    const timer = setTimeout(() => {
      console.error(`error: schemathesis ran past ${TIME_LIMIT_MS / 1000} s; stopped`);
      child.kill('SIGKILL');
    }, TIME_LIMIT_MS);
    const status = await new Promise<number | null>((done) => child.on('close', done));
    clearTimeout(timer);
    console.log(closingLine(output, status));
    process.exitCode = status ?? 1;
  } finally {
    server.stop();
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
