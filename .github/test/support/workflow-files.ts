import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Workflow } from '../../scripts/pipeline/workflow';
import { ROOT } from '../../../scripts/support/repo-root';

export { ROOT };

/** The workflow files as the tests read them: one place for their paths and parsed shape. */
export const WORKFLOW_DIR = join(ROOT, '.github', 'workflows');
export const SCRIPTS_DIR = join(ROOT, '.github', 'scripts');

export type { Job, Step, Workflow } from '../../scripts/pipeline/workflow';

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
