/**
 * A live check's namespaces: deleted before it starts (a run stopped half-way leaves them) and
 * after it ends, whatever happens, with the local volumes their claims held freed again
 * (kind-overlay.ts's deleteNamespace), so the next check and the next run find the cluster as
 * this one found it.
 */
import type { LiveCluster } from './context';
import { deleteNamespace } from './kind-overlay';

/** Runs `body` between two deletions of `names`; the second one's duration goes to the timings. */
export async function inNamespaces(cluster: LiveCluster, names: string[], body: () => Promise<void>): Promise<void> {
  for (const name of names) deleteNamespace(cluster, name);
  try {
    await body();
  } finally {
    const start = Date.now();
    for (const name of names) deleteNamespace(cluster, name);
    cluster.timing(`delete ${names.join(', ')}`, (Date.now() - start) / 1000);
  }
}
