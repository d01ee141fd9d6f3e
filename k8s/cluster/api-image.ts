/**
 * The API image the cluster suites run: taken from the local Docker engine, or built there with
 * `npm run image:build` (on the offline bases `npm run base-image` makes) when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { offlineBaseImage } from '../../docker/base-image/names';
import { ROOT } from '../../scripts/support/repo-root';

export const DOCKER = process.env.DOCKER || '/usr/bin/docker';

/** Makes sure `image` is in the engine; says how it got there, or what failed. */
export function ensureApiImage(image: string): { ok: boolean; detail: string } {
  if (spawnSync(DOCKER, ['image', 'inspect', image], { stdio: 'ignore' }).status === 0)
    return { ok: true, detail: `${image} is in the Docker engine` };
  const env = {
    ...process.env,
    NODE_IMAGE: process.env.NODE_IMAGE || offlineBaseImage('base'),
    RUNTIME_IMAGE: process.env.RUNTIME_IMAGE || offlineBaseImage('runtime'),
    MLSHIP_IMAGE: image,
  };
  for (const args of [
    ['run', '-s', 'base-image'],
    ['run', '-s', 'base-image', '--', '--runtime'],
    ['run', '-s', 'image:build'],
  ]) {
    if (spawnSync('npm', args, { cwd: ROOT, env, stdio: 'inherit' }).status !== 0)
      return { ok: false, detail: `npm ${args.join(' ')} failed` };
  }
  return { ok: true, detail: `${image} built with npm run image:build` };
}
