/**
 * A live check's namespaces: deleted before it starts (a run stopped half-way leaves them) and
 * retired after it ends, whatever happens: deleted while the next checks run, the run's end waiting
 * for them and freeing the local volumes their claims held, so the next run finds the cluster as
 * this one found it.
 *
 * Workloads go before their namespace, and are waited for: the namespace controller, finding pods
 * still terminating, waits out an estimate of their grace period (about 17 s for the API's pods
 * here) before it looks again; pods deleted first are gone once they have drained (preStop 5 s),
 * and an empty namespace goes in a second or two.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { LiveCluster } from './context';
import { K8S_DIR } from './manifests';
import { kubectlAsync } from './pods';

/** kubectl's arguments that delete a namespace's workloads and wait until their pods are gone. */
const deleteWorkloads = (namespace: string): string[] => [
  '-n',
  namespace,
  'delete',
  'deployments,replicasets,jobs,pods',
  '--all',
  '--ignore-not-found',
  '--wait=true',
  '--timeout=120s',
];

/** kubectl's arguments that delete a namespace, waiting for it to go or not. */
const deleteNamespaceArgs = (namespace: string, wait: boolean): string[] => [
  'delete',
  'namespace',
  namespace,
  '--ignore-not-found',
  `--wait=${wait}`,
  ...(wait ? ['--timeout=180s'] : []),
];

/** Runs `body` between two deletions of `names`. */
export async function inNamespaces(cluster: LiveCluster, names: string[], body: () => Promise<void>): Promise<void> {
  for (const name of names) deleteNamespace(cluster, name);
  try {
    await body();
  } finally {
    retireNamespaces(cluster, names);
  }
}

function freeVolumes(): { ok: boolean; out: string } {
  const volumes = spawnSync('bash', [join(K8S_DIR, 'cluster', 'volumes.sh')], { encoding: 'utf8', timeout: 120_000 });
  return { ok: volumes.status === 0, out: `${volumes.stdout}${volumes.stderr}` };
}

/** Deletes the namespace's workloads, then the namespace, waiting for both; then frees its volumes. */
export function deleteNamespace(cluster: LiveCluster, namespace: string): void {
  const workloads = cluster.kubectl(deleteWorkloads(namespace));
  if (workloads.status !== 0) console.log(`  delete the workloads of ${namespace}: ${workloads.out}`);
  const deleted = cluster.kubectl(deleteNamespaceArgs(namespace, true));
  if (deleted.status !== 0) console.log(`  delete namespace ${namespace}: ${deleted.out}`);
  const volumes = freeVolumes();
  if (!volumes.ok) console.log(`  volumes.sh: ${volumes.out}`);
}

/** Namespaces being retired, each with its deletion under way; a check never reuses a retired name. */
const retiring = new Map<string, Promise<unknown>>();

/**
 * Starts the deletion of `names` in the background (workloads and their pods first, then the
 * namespace) and returns at once; awaitRetiredNamespaces waits for it.
 */
export function retireNamespaces(cluster: LiveCluster, names: string[]): void {
  for (const name of names.filter((n) => !retiring.has(n))) {
    const deleting = kubectlAsync(cluster, deleteWorkloads(name)).then(() =>
      kubectlAsync(cluster, deleteNamespaceArgs(name, false)),
    );
    retiring.set(name, deleting);
  }
}

/** Waits until every retired namespace is gone, then frees the volumes their claims held. */
export async function awaitRetiredNamespaces(
  cluster: LiveCluster,
): Promise<{ ok: boolean; detail: string; seconds: number }> {
  const start = Date.now();
  const names = [...retiring.keys()];
  await Promise.all(retiring.values());
  retiring.clear();
  if (names.length === 0) return { ok: true, detail: 'none', seconds: 0 };
  const gone = cluster.kubectl(['wait', '--for=delete', ...names.map((name) => `namespace/${name}`), '--timeout=240s']);
  const volumes = freeVolumes();
  const ok = (gone.status === 0 || /not found/.test(gone.out)) && volumes.ok;
  return {
    ok,
    detail: `${names.join(', ')}${ok ? '' : `: ${gone.out} ${volumes.out}`}`,
    seconds: (Date.now() - start) / 1000,
  };
}
