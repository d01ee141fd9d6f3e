/**
 * Images for the deploy rehearsal, in the local registry the node pulls from (127.0.0.1:5000):
 * the tested API image by tag and by digest, and a mislabelled copy for the rollback (the same
 * files, but an io.mlship.models label that names a model sha256 the API does not serve).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DOCKER } from '../api-image';

export const LOCAL_REGISTRY = '127.0.0.1:5000';
const LABEL = 'io.mlship.models';

function docker(args: string[], input?: string): string {
  const result = spawnSync(DOCKER, args, { encoding: 'utf8', input, timeout: 300_000 });
  if (result.status !== 0)
    throw new Error(`docker ${args.join(' ')}: ${(result.stderr || result.error?.message || '').trim()}`);
  return result.stdout.trim();
}

/** Tags `image` as REGISTRY/mlship:TAG, pushes it and returns the pushed tag and its digest reference. */
export function pushImage(image: string, tag: string): { tagged: string; pinned: string } {
  const tagged = `${LOCAL_REGISTRY}/mlship:${tag}`;
  docker(['tag', image, tagged]);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(docker(['push', tagged]))?.[1];
  if (!digest) throw new Error(`docker push ${tagged} printed no digest`);
  return { tagged, pinned: `${LOCAL_REGISTRY}/mlship@${digest}` };
}

/** The image's label with the first model's sha256 changed: what a lineage check must refuse. */
export function mislabel(image: string, tag: string): { tagged: string; pinned: string } {
  const models = JSON.parse(
    docker(['image', 'inspect', '--format', `{{ index .Config.Labels "${LABEL}" }}`, image]),
  ) as Array<{ sha256: string }>;
  models[0]!.sha256 = models[0]!.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  const container = docker(['create', image]);
  try {
    docker([
      'commit',
      '--change',
      `LABEL ${LABEL}=${JSON.stringify(JSON.stringify(models))}`,
      container,
      `mlship-mislabelled:${tag}`,
    ]);
  } finally {
    docker(['rm', container]);
  }
  return pushImage(`mlship-mislabelled:${tag}`, tag);
}

/**
 * Production credentials as a deploy's secrets hold them: a users file with one user and a random
 * password, hashed by the image's own users CLI (as container-smoke.sh does), and a monitoring token.
 */
export function productionSecrets(image: string): {
  user: string;
  password: string;
  usersFile: string;
  monitoringToken: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mlship-users-'));
  try {
    const password = randomBytes(18).toString('hex');
    docker(
      [
        'run',
        '--rm',
        '-i',
        '--network',
        'none',
        '--user',
        `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
        '-v',
        `${dir}:/out`,
        '--entrypoint',
        'node',
        image,
        'dist/bundle/users-cli.js',
        'add',
        'rehearsal',
        '--file',
        '/out/users.txt',
      ],
      `${password}\n`,
    );
    return {
      user: 'rehearsal',
      password,
      usersFile: readFileSync(join(dir, 'users.txt'), 'utf8').trim(),
      monitoringToken: randomBytes(24).toString('hex'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
