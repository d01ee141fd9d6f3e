import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A sibling path for staging a write; the leading dot hides it from registry listings. */
export function stagingPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes a file so readers see either the old content or the new, never a half-written file:
 * the data goes to a temporary sibling first and is renamed over the target.
 */
export function writeFileAtomic(target: string, content: string): void {
  mkdirSync(dirname(target), { recursive: true });
  const temp = stagingPath(target);
  try {
    writeFileSync(temp, content, { flush: true });
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
