/**
 * A live check's namespaces: made fresh at its start, gone at its end, and the local volumes
 * their claims held freed again (volumes.sh), so the next check and the next run find the
 * cluster as this one found it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { LiveCluster } from './context';

const VOLUMES_SCRIPT = join(__dirname, '..', 'volumes.sh');

/**
 * Deletes the namespaces and waits until they are gone (pods get their grace period), then frees
 * the volumes their claims released. Throws when they are not gone in time.
 */
export function deleteNamespaces(cluster: Pick<LiveCluster, 'kubectl'>, names: string[], timeoutSeconds = 240): number {
  const start = Date.now();
  const result = cluster.kubectl(['delete', 'namespace', ...names, '--ignore-not-found', '--wait=true', `--timeout=${timeoutSeconds}s`]);
  if (result.status !== 0) throw new Error(`kubectl delete namespace ${names.join(' ')}: ${result.out}`);
  const volumes = spawnSync('bash', [VOLUMES_SCRIPT], { encoding: 'utf8', timeout: 120_000 });
  if (volumes.status !== 0) throw new Error(`volumes.sh: ${volumes.stdout}${volumes.stderr}`);
  return (Date.now() - start) / 1000;
}

/** Runs `body` with the namespaces deleted before (a run stopped half-way) and after, whatever happens. */
export async function inNamespaces(cluster: Pick<LiveCluster, 'kubectl' | 'timing'>, names: string[], body: () => Promise<void>): Promise<void> {
  deleteNamespaces(cluster, names);
  try {
    await body();
  } finally {
    cluster.timing(`delete ${names.join(', ')}`, deleteNamespaces(cluster, names));
  }
}
