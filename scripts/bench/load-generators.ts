import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/repo-root';

/** One closed-loop load: POST `body` to `url` with basic auth from `connections` connections for `seconds`. */
export interface LoadSpec {
  url: string;
  body: string;
  authorization: string;
  seconds: number;
  connections: number;
  /** wrk threads (autocannon runs in one process whatever this says). */
  threads: number;
}

/** What a load generator saw: completed requests and their latency. */
export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors and timeouts. */
  errors: number;
  /** Answers with a status of 400 or more. */
  non2xx: number;
}

export type LoadGeneratorName = 'wrk' | 'autocannon';

/**
 * wrk (C, multithreaded) when it is on PATH; autocannon, itself a Node process that saturates
 * before a bare node:http server does on two cores, only as the fallback.
 */
export function availableLoadGenerator(): LoadGeneratorName {
  const probe = spawnSync('wrk', ['--version'], { stdio: 'ignore' });
  return probe.error ? 'autocannon' : 'wrk';
}

/** Runs one load with the named generator. */
export function runLoad(generator: LoadGeneratorName, spec: LoadSpec): Promise<LoadResult> {
  return generator === 'wrk' ? runWrk(spec) : runAutocannon(spec);
}

const RESULT_MARK = 'MLSHIP_RESULT ';

/**
 * The wrk script: method, body and headers for every request, and a `done` hook that prints the
 * figures as one marked JSON line (wrk's own report rounds them for humans). The body sits in a
 * level-2 long bracket, which JSON (no `=`) cannot close early.
 */
function wrkScript(spec: LoadSpec): string {
  return [
    'wrk.method = "POST"',
    `wrk.body = [==[${spec.body}]==]`,
    'wrk.headers["Content-Type"] = "application/json"',
    `wrk.headers["Authorization"] = ${JSON.stringify(spec.authorization)}`,
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('\\n${RESULT_MARK}` +
      `{"requests":%d,"durationMicros":%d,"errors":%d,"non2xx":%d,"p50Micros":%d,"p99Micros":%d}\\n',`,
    '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,',
    '    latency:percentile(50), latency:percentile(99)))',
    'end',
    '',
  ].join('\n');
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-wrk-'));
  try {
    const script = join(dir, 'post.lua');
    writeFileSync(script, wrkScript(spec));
    const args = [
      '-t',
      String(spec.threads),
      '-c',
      String(spec.connections),
      '-d',
      `${spec.seconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      spec.url,
    ];
    const { code, stdout, stderr } = await capture('wrk', args);
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK));
    if (code !== 0 || !line)
      throw new Error(`wrk exited with ${code}: ${(stderr || stdout).trim().split('\n').pop() ?? ''}`);
    const r = JSON.parse(line.slice(RESULT_MARK.length)) as {
      requests: number;
      durationMicros: number;
      errors: number;
      non2xx: number;
      p50Micros: number;
      p99Micros: number;
    };
    return {
      requests: r.requests,
      requestsPerSecond: r.requests / (r.durationMicros / 1e6),
      p50Ms: r.p50Micros / 1000,
      p99Ms: r.p99Micros / 1000,
      errors: r.errors,
      non2xx: r.non2xx,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const args = [
    join(ROOT, 'node_modules/autocannon/autocannon.js'),
    '--json',
    '-c',
    String(spec.connections),
    '-d',
    String(spec.seconds),
    '-m',
    'POST',
  ];
  args.push(
    '-H',
    'Content-Type=application/json',
    '-H',
    `Authorization=${spec.authorization}`,
    '-b',
    spec.body,
    spec.url,
  );
  const { code, stdout, stderr } = await capture(process.execPath, args);
  if (code !== 0) throw new Error(`autocannon exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
  const r = JSON.parse(stdout) as {
    requests: { total: number };
    duration: number;
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return {
    requests: r.requests.total,
    requestsPerSecond: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

function capture(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
