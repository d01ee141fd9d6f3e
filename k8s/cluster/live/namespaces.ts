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
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { LiveCluster } from './context';
import { K8S_DIR } from './manifests';

const WORKLOADS = 'deployments,replicasets,jobs,pods';

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
  const workloads = cluster.kubectl([
    '-n',
    namespace,
    'delete',
    WORKLOADS,
    '--all',
    '--ignore-not-found',
    '--wait=true',
    '--timeout=120s',
  ]);
  if (workloads.status !== 0) console.log(`  delete the workloads of ${namespace}: ${workloads.out}`);
  const deleted = cluster.kubectl([
    'delete',
    'namespace',
    namespace,
    '--ignore-not-found',
    '--wait=true',
    '--timeout=180s',
  ]);
  if (deleted.status !== 0) console.log(`  delete namespace ${namespace}: ${deleted.out}`);
  const volumes = freeVolumes();
  if (!volumes.ok) console.log(`  volumes.sh: ${volumes.out}`);
}

/** Namespaces being retired, each with the process deleting it; a check never reuses a retired name. */
const retiring = new Map<string, ChildProcess>();

/**
 * Starts the deletion of `names` in the background (workloads and their pods first, then the
 * namespace) and returns at once; awaitRetiredNamespaces waits for it.
 */
export function retireNamespaces(cluster: LiveCluster, names: string[]): void {
  const { kubectl, kubeconfig } = cluster.settings;
  for (const name of names.filter((n) => !retiring.has(n))) {
    const script =
      '"$0" --kubeconfig "$1" -n "$2" delete "$3" --all --ignore-not-found --wait=true --timeout=120s; "$0" ' +
      '--kubeconfig "$1" delete namespace "$2" --ignore-not-found --wait=false';
    const child = spawn('bash', ['-c', script, kubectl, kubeconfig, name, WORKLOADS], { stdio: 'ignore' });
    retiring.set(name, child);
  }
}

function ended(child: ChildProcess): Promise<void> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('close', () => resolve()),
  );
}

/** Waits until every retired namespace is gone, then frees the volumes their claims held. */
export async function awaitRetiredNamespaces(
  cluster: LiveCluster,
): Promise<{ ok: boolean; detail: string; seconds: number }> {
  const start = Date.now();
  const names = [...retiring.keys()];
  await Promise.all([...retiring.values()].map(ended));
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
