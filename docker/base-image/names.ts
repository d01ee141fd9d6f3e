/**
 * The offline base images' tags, as docker/base-image/build.sh names them: each tag ends in a hash
 * of the scripts that build that image, so a tool defaults to the base the checkout's scripts make
 * (never one an older script left in the engine under a fixed tag).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BUILD_SCRIPT = join(__dirname, 'build.sh');

/** The tag `npm run base-image` (kind base) or `npm run base-image -- --runtime` builds. */
export function offlineBaseImage(kind: 'base' | 'runtime'): string {
  const args = [BUILD_SCRIPT, '--print-name', ...(kind === 'runtime' ? ['--runtime'] : [])];
  const result = spawnSync('bash', args, { encoding: 'utf8' });
  const name = result.stdout.trim();
  if (result.status !== 0 || !name)
    throw new Error(`bash ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return name;
}
