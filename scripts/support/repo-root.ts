/**
 * The repository's root directory, for the scripts, harnesses and tests that read or run its files.
 * They run from their sources (tsx, ts-jest), so this file's own place fixes the root: two folders
 * up from scripts/support. Code the build compiles or bundles (api/src, model/src, the actions)
 * never uses it: there the root is wherever the output runs, and the code is given its paths.
 */
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
