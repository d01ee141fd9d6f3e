import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../../scripts/support/poll-until';

/** A process this harness started: its pid and the file that holds its output. */
export interface Started {
  name: string;
  child: ChildProcess;
  logFile: string;
}

/**
 * Starts `command` with its stdout and stderr in `<logDir>/<name>.log`. The pid is kept so the
 * process, and only it, can be stopped later.
 */
export function start(
  name: string,
  command: string,
  args: string[],
  logDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Started {
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { env, stdio: ['ignore', out, out] });
  child.on('error', () => undefined); // reported by waitUntil as "exited" with the log tail
  return { name, child, logFile };
}

/** The last lines of a started process's log, for failure messages. */
export function logTail(started: Started, lines = 15): string {
  try {
    return readFileSync(started.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Waits until `probe` resolves true; fails at once when `started` exits, and after `timeoutMs`,
 * with the log tail of `started` either way.
 */
export async function waitUntil(
  started: Started,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const exited = (): Error | undefined =>
    started.child.exitCode !== null || started.child.signalCode !== null
      ? new Error(`${started.name} exited before ${what}:\n${logTail(started)}`)
      : undefined;
  await waitFor(`${started.name} ${what}`, probe, {
    timeoutMs,
    intervalMs: 250,
    abortIf: exited,
    detail: () => logTail(started),
  });
}

/** True when GET `url` answers 200 (with optional headers). */
export async function answers200(url: string, headers: Record<string, string> = {}): Promise<boolean> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.status === 200;
}

/** Stops each process by its pid: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopAll(processes: Started[], graceMs = 5000): Promise<void> {
  await Promise.all(
    processes.map(async ({ child }) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    }),
  );
}
