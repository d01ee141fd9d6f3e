import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where apt installs the Prometheus tools; shown in every "not found" message. */
export const INSTALL_HINT = 'install them with: apt-get install -y prometheus prometheus-alertmanager';

/** The absolute path of `name` on PATH, or undefined when it is not installed. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory; keep looking
    }
  }
  return undefined;
}

/** Result of one tool run: exit status and stdout+stderr together, as a person would read them. */
export interface ToolRun {
  status: number;
  output: string;
}

/** Runs `tool args…` to completion (bounded by `timeoutMs`) and captures its output. */
export function runTool(tool: string, args: readonly string[], cwd: string, timeoutMs = 60_000): ToolRun {
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8', timeout: timeoutMs });
  if (result.error) return { status: 1, output: `${tool}: ${result.error.message}` };
  return { status: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}
