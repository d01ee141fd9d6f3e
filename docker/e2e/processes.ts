/**
 * Child processes for the end-to-end run: commands that must succeed (with their output kept for
 * the failure message), and long-running services whose PIDs the harness owns and stops itself.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** What a finished command printed. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Hard limit; the command is killed after it. */
  timeoutMs?: number;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
  input?: string;
}

/** Runs a command to completion; throws with its last output lines when it fails or times out. */
export function run(command: string, args: string[], options: RunOptions = {}): CommandResult {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 120_000,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(options.input !== undefined ? { input: options.input } : {}),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  const ok = options.okCodes ?? [0];
  if (result.error || result.status === null || !ok.includes(result.status)) {
    const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
    const why = result.error
      ? result.error.message
      : result.status === null
        ? `killed by ${String(result.signal)}`
        : `exit ${result.status}`;
    throw new Error(`${command} ${args.join(' ')}: ${why}\n${tail}`);
  }
  return { stdout, stderr, seconds };
}

/** A service the harness started and must stop. */
export interface Service {
  name: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
}

/** Starts a long-running program with its output in `logFile`; its PID is recorded by the caller. */
export function startService(
  name: string,
  command: string,
  args: string[],
  logFile: string,
  options: SpawnOptions = {},
): Service {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { ...options, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
    return { name, pid: child.pid, child, logFile };
  } finally {
    closeSync(fd);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a service by its PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopService(service: Service, graceMs = 5000): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null || !alive(service.pid)) return;
  const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  process.kill(service.pid, 'SIGTERM');
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs));
  const done = await Promise.race([exited.then(() => true), timer]);
  if (!done && alive(service.pid)) {
    process.kill(service.pid, 'SIGKILL');
    await exited;
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Notes Ctrl-C and SIGTERM instead of dying on them, so a harness can stop what it started before
 * it exits. Returns whether one has arrived.
 */
export function noteInterrupts(): () => boolean {
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => interrupted;
}

/** Stops `services` last started first; a failure is logged and the rest are still stopped. */
export async function stopServices(services: Service[]): Promise<void> {
  for (const service of [...services].reverse()) {
    try {
      await stopService(service);
    } catch (e) {
      console.error(`teardown: ${service.name} (pid ${service.pid}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
