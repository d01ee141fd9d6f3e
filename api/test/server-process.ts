import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, trainedModelDir } from './helpers';

/** The compiled server, started by a test. */
export interface RunningServer {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; atMs: number }>;
}

/**
 * Starts dist/api/server.js (under `nodeFlags`) on 127.0.0.1 and port 0; resolves at its "ready" line or when it exits.
 */
export function startServer(env: Record<string, string>, nodeFlags: readonly string[] = []): Promise<RunningServer> {
  const child = spawn(process.execPath, [...nodeFlags, join(ROOT, 'dist/api/server.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      USERS_FILE: join(ROOT, 'api/users.dev.txt'),
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; atMs: number }>((resolve) =>
    child.on('exit', (code) => resolve({ code, atMs: Date.now() })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready: ${output}`)), 15_000);
    const poll = setInterval(() => {
      const match = /"port":(\d+).*"msg":"ready"/.exec(output);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => output, exited });
      }
    }, 20);
    void exited.then(() => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ child, port: -1, output: () => output, exited });
    });
  });
}

/** A private copy of the trained registry, safe to corrupt. */
export function copyRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-rel-'));
  cpSync(trainedModelDir(), dir, { recursive: true });
  return dir;
}

/** A raw connection whose bytes the test writes by hand (for slow uploads and half-sent requests). */
export async function rawConnection(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  return { socket, received: () => received, closed };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls until `ready()` holds, for at most `timeoutMs`. Real processes on a busy CI machine answer
 * late, so a test waits for the event it depends on rather than for a fixed time; it still fails
 * (with `what` in the message) when the event never comes.
 */
export async function waitUntil(
  ready: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
