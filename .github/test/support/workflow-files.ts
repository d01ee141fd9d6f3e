import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The workflow files as the tests read them: one place for their paths and parsed shape. */
export const ROOT = join(__dirname, '..', '..', '..');
export const WORKFLOW_DIR = join(ROOT, '.github', 'workflows');
export const SCRIPTS_DIR = join(ROOT, '.github', 'scripts');

/** The fields of a step the tests look at. */
export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'continue-on-error'?: boolean;
  'working-directory'?: string;
}

/** The fields of a job the tests look at. */
export interface Job {
  if?: string;
  needs?: string | string[];
  uses?: string;
  'timeout-minutes'?: number;
  permissions?: unknown;
  environment?: { name?: string; url?: string } | string;
  shell?: string;
  defaults?: { run?: { shell?: string } };
  steps?: Step[];
}

/** The fields of a workflow the tests look at. */
export interface Workflow {
  name?: string;
  on: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: boolean | string };
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, Job>;
}

/** Every workflow file, sorted by name, with its text and its parsed form. */
export function readWorkflows(): Array<{ file: string; text: string; workflow: Workflow }> {
  return readdirSync(WORKFLOW_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(WORKFLOW_DIR, file), 'utf8');
      return { file, text, workflow: parse(text) as Workflow };
    });
}
