import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { requireWithCodeCache } from './code-cache';
import type { StartHooks } from './server';

/**
 * The process entry, dist/api/server.js: loads the bundled server (dist/api/server.bundle.js)
 * through V8's code cache and starts it; once it is ready, writes the cache if there was none, so
 * the next start skips compiling. `--write-code-cache` starts, writes the cache and stops (the
 * image build runs it, because the image's files are read-only to the server at run time).
 */
// V8's allocation-site pretenuring, on by default, watches which allocation sites' objects survive
// a scavenge and then allocates all of that site's objects in the old generation. Under load every
// object of a request survives (64 requests in flight, a scavenge every ~175 requests), so V8
// tenured the request path's sites and the old generation filled in ~250 ms: 20-28 full
// mark-compacts per 25,000 requests instead of 0-2, and 40% more CPU per request (225-243 against
// 128-148 µs in alternating windows, docs/performance.md). NODE_OPTIONS does not take V8 flags
// like this one, and the image, `npm start` and tests all start here, so it is set here, before
// the bundle is compiled (the code cache is made and read under it). api/test/pretenuring.test.ts
// pins it.
setFlagsFromString('--no-allocation-site-pretenuring');
const warmOnly = process.argv.includes('--write-code-cache');
const bundle = requireWithCodeCache(join(__dirname, 'server.bundle.js'));
const { main } = bundle.exports as { main: (hooks: StartHooks) => void };
main({
  readyFields: { codeCache: bundle.state() === 'used' ? 'used' : 'cold' },
  onReady: () => {
    const state = bundle.save();
    if (!warmOnly) return;
    if (state === 'unwritable') {
      process.stderr.write(`error: cannot write the code cache beside ${join(__dirname, 'server.bundle.js')}\n`);
      process.exit(1);
    }
    process.kill(process.pid, 'SIGTERM');
  },
});
