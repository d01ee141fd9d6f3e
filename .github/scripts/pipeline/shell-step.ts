/**
 * One `run:` step, run the way GitHub's runner runs it: the script in a file, `bash --noprofile
 * --norc -eo pipefail FILE` (or `sh -e FILE`), the step's environment and working directory, and
 * the runner's file commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY) read
 * back after it.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where and how a step runs. */
export interface StepProcess {
  env: Record<string, string>;
  cwd: string;
  /** The job's RUNNER_TEMP. */
  runnerTemp: string;
  /** The job summary file the step's GITHUB_STEP_SUMMARY is appended to. */
  summaryFile: string;
  timeoutMs: number;
}

/** What a finished step left: its exit code and the file commands it wrote. */
export interface StepEffects {
  code: number;
  outputs: Record<string, string>;
  env: Record<string, string>;
  path: string[];
  timedOut: boolean;
}

const FILE_COMMANDS = ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'] as const;

/** `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks, as the runner reads them. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    const equals = line.indexOf('=');
    if (heredoc && (equals < 0 || line.indexOf('<<') < equals)) {
      const end = lines.findIndex((l, j) => j > i && l.replace(/\r$/, '') === heredoc[2]);
      if (end < 0) throw new Error(`file command ${heredoc[1]}: no closing ${heredoc[2]}`);
      values[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (equals > 0) {
      values[line.slice(0, equals)] = line.slice(equals + 1);
    } else {
      throw new Error(`file command line is neither name=value nor name<<DELIMITER: ${line}`);
    }
  }
  return values;
}

/** The argv a step's `shell:` means (bash and sh; other shells are not used by these workflows). */
export function shellCommand(shell: string | undefined, file: string): string[] {
  switch (shell ?? 'bash') {
    case 'bash':
      return ['bash', '--noprofile', '--norc', '-eo', 'pipefail', file];
    case 'sh':
      return ['sh', '-e', file];
    default:
      throw new Error(`shell ${shell} is not supported by the pipeline twin (bash, sh)`);
  }
}

/** Runs one script as a step and returns its exit code and file commands. */
export function runShellStep(script: string, shell: string | undefined, step: StepProcess): StepEffects {
  const dir = mkdtempSync(join(step.runnerTemp, 'step-'));
  try {
    const file = join(dir, 'script.sh');
    writeFileSync(file, script.endsWith('\n') ? script : `${script}\n`);
    const files = Object.fromEntries(FILE_COMMANDS.map((name) => [name, join(dir, name.toLowerCase())]));
    for (const path of Object.values(files)) writeFileSync(path, '');
    const [program, ...args] = shellCommand(shell, file);
    const result = spawnSync(program!, args, {
      cwd: step.cwd,
      env: { ...step.env, ...files },
      stdio: 'inherit',
      timeout: step.timeoutMs,
      killSignal: 'SIGTERM',
    });
    const summary = readFileSync(files.GITHUB_STEP_SUMMARY!, 'utf8');
    if (summary) appendFileSync(step.summaryFile, summary);
    const path = readFileSync(files.GITHUB_PATH!, 'utf8').split('\n').filter(Boolean);
    const timedOut = result.error !== undefined && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
    return {
      code: result.status ?? (timedOut ? 124 : 1),
      outputs: parseFileCommand(readFileSync(files.GITHUB_OUTPUT!, 'utf8')),
      env: parseFileCommand(readFileSync(files.GITHUB_ENV!, 'utf8')),
      path,
      timedOut,
    };
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}
