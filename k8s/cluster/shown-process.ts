/**
 * A child process whose output is shown as it comes, indented with "  | " (so that a suite line it
 * prints, such as the twin's closing line, is never read as one of the run's own), and collected.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

export interface Shown {
  status: number;
  output: string;
  seconds: number;
}

export function runShown(
  command: string,
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    onOutput?: (text: string) => void;
    /** Sees the child once started (to signal it); `detached` gives it a process group of its own. */
    onStart?: (child: ChildProcess) => void;
    detached?: boolean;
  } = {},
): Promise<Shown> {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.detached ?? false,
    });
    options.onStart?.(child);
    let output = '';
    const show = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      options.onOutput?.(text);
      process.stdout.write(text.replace(/^(?=.)/gm, '  | '));
    };
    child.stdout.on('data', show);
    child.stderr.on('data', show);
    child.on('close', (status) => resolve({ status: status ?? 1, output, seconds: (Date.now() - start) / 1000 }));
  });
}
