/**
 * The install steps (`npm ci`, apt-get) already done in one checkout. On GitHub every job starts
 * from a clean runner; here the jobs of a run share the checkout, so an install one job did is not
 * repeated by the next. `npm ci` is also remembered across runs: a marker inside the node_modules
 * it made names the lockfile it installed from, so a later run in the same checkout (deploy.yml's
 * jobs one after the other) skips it while that lockfile is unchanged and node_modules is there.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MARKER = '.pipeline-npm-ci.json';

interface Marker {
  lockfile: string;
  by: string;
}

export class InstallLedger {
  private readonly done = new Map<string, string>();

  /** Who did this install in `cwd` (e.g. "job test of …"), or undefined when it must run. */
  doneBy(cwd: string, command: string): string | undefined {
    const thisRun = this.done.get(`${cwd}\n${command}`);
    if (thisRun || !isNpmCi(command)) return thisRun;
    const marker = readMarker(cwd);
    return marker && marker.lockfile === lockfileHash(cwd) ? marker.by : undefined;
  }

  record(cwd: string, command: string, by: string): void {
    this.done.set(`${cwd}\n${command}`, by);
    if (isNpmCi(command) && existsSync(join(cwd, 'node_modules'))) {
      const marker: Marker = { lockfile: lockfileHash(cwd), by };
      writeFileSync(join(cwd, 'node_modules', MARKER), `${JSON.stringify(marker)}\n`);
    }
  }
}

const isNpmCi = (command: string): boolean => /^npm ci\b/.test(command);

function readMarker(cwd: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(join(cwd, 'node_modules', MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

function lockfileHash(cwd: string): string {
  const lockfile = join(cwd, 'package-lock.json');
  return existsSync(lockfile) ? createHash('sha256').update(readFileSync(lockfile)).digest('hex') : 'no lockfile';
}
