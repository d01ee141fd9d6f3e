import { join } from 'node:path';
import { requireWithCodeCache } from './code-cache';
import type { StartHooks } from './server';

/**
 * The process entry, dist/api/server.js: loads the bundled server (dist/api/server.bundle.js)
 * through V8's code cache and starts it; once it is ready, writes the cache if there was none, so
 * the next start skips compiling. `--write-code-cache` starts, writes the cache and stops (the
 * image build runs it, because the image's files are read-only to the server at run time).
 */
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
