import { join } from 'node:path';
import type { LoadInput, Predictor } from './port';

/**
 * Each algorithm's `load` alone, found by its folder's name: what the batch prediction thread
 * needs. Every algorithm folder has a `load.ts` exporting `load` (a test holds each equal to the
 * registry's), so the registry in index.ts stays the one list of algorithms. The thread must not
 * import index.ts: that bundled every algorithm's training code, schemas and libraries into it
 * (10 KB became 475 KB, and the thread's isolate took ~9 MB more RSS).
 *
 * The file is found at run time beside this module: unbundled, the folder's load.ts (or its
 * compiled load.js); in the thread's bundle, dist/bundle/<name>/load.js, which `npm run build`
 * bundles from every algorithm folder's load.ts. The path is computed on purpose: a literal would
 * put every loader back into the thread's bundle, and esbuild turns a template literal into a glob
 * that needs the file's extension, which differs between the sources and the bundles.
 */
const FOLDER_NAME = /^[a-z][a-z0-9-]*$/;

interface LoaderModule {
  load(input: LoadInput<never, never>): Predictor;
}

function loaderOf(name: string): LoaderModule['load'] {
  if (!FOLDER_NAME.test(name)) throw new Error(`algorithm ${JSON.stringify(name)} is not an algorithm folder's name`);
  const file = join(__dirname, name, 'load');
  let loaded: Partial<LoaderModule>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a computed path, on purpose (above)
    loaded = require(file) as Partial<LoaderModule>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String(error).includes(file)) throw error;
    throw new Error(`the batch thread has no loader for algorithm ${JSON.stringify(name)}: no ${file}`, {
      cause: error,
    });
  }
  if (typeof loaded.load !== 'function') throw new Error(`${file} exports no load function`);
  return loaded.load;
}

/** Loads a predictor with the algorithm called `name`; throws naming the file it looked for when there is none. */
export function loadWith(name: string, input: LoadInput<unknown, unknown>): Predictor {
  return loaderOf(name)(input as LoadInput<never, never>);
}
