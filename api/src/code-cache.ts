import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * The code cache at this start: `used` (read and accepted), `compiled` (none, or V8 rejected it),
 * then after `save()`: `written` for the next start, or `unwritable` (a read-only directory).
 */
export type CodeCacheState = 'used' | 'compiled' | 'written' | 'unwritable';

export interface CachedModule {
  exports: unknown;
  state(): CodeCacheState;
  /**
   * Writes V8's code for the module, including every function compiled since it ran, unless the
   * cache was used. Call it once the program has started up; a read-only directory is not an error.
   */
  save(): CodeCacheState;
}

/**
 * The cache file for `source` (the text of `file`) under this Node version, architecture and V8
 * flags. V8 rejects code made under other flags (a heap-size flag is enough), so each combination
 * gets its own file. The source is part of the name because V8 checks only its length: a rebuilt
 * bundle of the same length would otherwise run with the previous build's compiled functions.
 */
export function codeCachePath(file: string, source: string): string {
  const flags = [process.version, process.arch, ...process.execArgv, process.env.NODE_OPTIONS ?? ''].join('\u0000');
  return `${file}.${shortHash(flags)}.${shortHash(source)}.v8cache`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * Loads the CommonJS file `file` as `require` would, but compiled with V8's code cache: parsing
 * and compiling a megabyte-sized bundle, and lazily compiling every function start-up calls, is
 * most of a cold start. Not `module.enableCompileCache()` (Node 22.1+), though the image runs Node
 * 24: measured there, that cache holds only what is compiled at load (355 KB for this bundle against
 * the 1.2 MB `save()` writes once the server is ready), so a start took 280 ms against 210 (none:
 * 350); and it keys its directory by user id, so a cache the image build writes as root is missed by
 * the server's user 10001, or by any other `runAsUser`.
 */
export function requireWithCodeCache(file: string): CachedModule {
  const source = readFileSync(file, 'utf8');
  const cacheFile = codeCachePath(file, source);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet: compile from source and offer to write one.
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapper, { filename: file, ...(cachedData ? { cachedData } : {}) });
  let state: CodeCacheState = cachedData && !script.cachedDataRejected ? 'used' : 'compiled';
  const module = { exports: {} as unknown, filename: file, id: file, loaded: false };
  const run = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: unknown,
    filename: string,
    dirname: string,
  ) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  module.loaded = true;
  return {
    exports: module.exports,
    state: () => state,
    save: () => {
      if (state !== 'compiled') return state;
      // Written aside and renamed: processes starting together never read half a file.
      const partial = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile);
        state = 'written';
        removeStaleCaches(cacheFile);
      } catch {
        rmSync(partial, { force: true });
        state = 'unwritable';
      }
      return state;
    },
  };
}

/** Removes caches of earlier builds made under the same flags (`<file>.<flags>.<other source>.v8cache`). */
function removeStaleCaches(current: string): void {
  const prefix = basename(current).split('.').slice(0, -2).join('.');
  for (const name of readdirSync(dirname(current))) {
    if (name !== basename(current) && name.startsWith(`${prefix}.`) && name.endsWith('.v8cache'))
      rmSync(join(dirname(current), name), { force: true });
  }
}
