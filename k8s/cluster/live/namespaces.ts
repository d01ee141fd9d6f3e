/**
 * A live check's namespaces: deleted before it starts (a run stopped half-way leaves them) and
 * retired after it ends, whatever happens (kind-overlay.ts: deleted while the next checks run, the
 * run's end waits for them and frees the local volumes their claims held), so the next run finds
 * the cluster as this one found it.
 */
import type { LiveCluster } from './context';
import { deleteNamespace, retireNamespaces } from './kind-overlay';

/** Runs `body` between two deletions of `names`; the second one's duration goes to the timings. */
export async function inNamespaces(cluster: LiveCluster, names: string[], body: () => Promise<void>): Promise<void> {
  for (const name of names) deleteNamespace(cluster, name);
  try {
    await body();
  } finally {
    retireNamespaces(cluster, names);
  }
}
