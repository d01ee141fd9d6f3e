/**
 * Deleting a serving pod under load: `kubectl delete pod` (graceful, as a node's eviction or a
 * human would) on one of api's pods while requests flow through the Service's NodePort; not one
 * may fail. The Deployment replaces the pod, and the load runs until the replacement is Ready and
 * has answered too. It holds because the deleted pod leaves the Service's endpoints at once and
 * keeps serving through its preStop pause and drain, while the other pod takes the new connections.
 */
import type { LiveCheck, LiveCluster } from '../context';
import { SHARED_TARGET, withSharedOverlay } from '../kind-overlay';
import type { PodState } from '../pods';
import { kubectlAsync, listPods, serving, waitUntil } from '../pods';
import { describeLoad, startServiceLoad } from '../service-load';

const TARGET = SHARED_TARGET;
const API_PODS = 'app.kubernetes.io/instance=api';
const ANSWERS_AROUND = 50;

async function deleteUnderLoad(cluster: LiveCluster): Promise<void> {
  const before = serving((await listPods(cluster, TARGET.namespace, API_PODS)) ?? []);
  const victim = before[0];
  if (
    !cluster.record(
      'pod deletion: pods serving',
      before.length >= 2 && victim !== undefined,
      `${before.length} Ready api pods: ${before.map((p) => p.name).join(', ')}`,
    ) ||
    !victim
  )
    return;
  const load = startServiceLoad(cluster, { namespace: TARGET.namespace, nodePort: TARGET.nodePort, maxSeconds: 300 });
  await waitUntil(() => load.answered() >= ANSWERS_AROUND, 60_000, 200);
  const start = Date.now();
  const deleted = await kubectlAsync(cluster, [
    '-n',
    TARGET.namespace,
    'delete',
    'pod',
    victim.name,
    '--wait=true',
    '--timeout=120s',
  ]);
  const goneSeconds = (Date.now() - start) / 1000;
  let after: PodState[] = [];
  const replaced = await waitUntil(async () => {
    after = serving((await listPods(cluster, TARGET.namespace, API_PODS)) ?? []);
    return after.length >= before.length && after.every((pod) => pod.name !== victim.name);
  }, 120_000);
  const replacements = after.filter((pod) => !before.some((old) => old.name === pod.name));
  const answeredThen = load.answered();
  await waitUntil(() => load.answered() >= answeredThen + ANSWERS_AROUND, 60_000, 200);
  const result = await load.stop();
  cluster.timing('delete pod → gone', goneSeconds);

  cluster.record(
    'pod deletion: deleted and replaced',
    deleted.status === 0 && replaced,
    `${deleted.out} (gone in ${goneSeconds.toFixed(1)} s); Ready api pods now ${after.map((p) => p.name).join(', ')}` +
      `${replaced ? '' : ' (no Ready replacement within 120 s)'}`,
  );
  const victimAnswered = result.byPod[victim.name] ?? 0;
  const replacementAnswered = replacements.reduce((sum, pod) => sum + (result.byPod[pod.name] ?? 0), 0);
  cluster.record(
    'pod deletion: load spanned it',
    victimAnswered > 0 && replacementAnswered > 0,
    `the deleted pod answered ${victimAnswered}, its replacement ${replacementAnswered} (both must be > 0)`,
  );
  cluster.record('pod deletion under load: 0 failed', result.failed === 0 && result.sent > 0, describeLoad(result));
}

export const check: LiveCheck = {
  name: 'pod-deletion',
  order: 40,
  async run(cluster) {
    await withSharedOverlay(cluster, TARGET, 'pod deletion', () => deleteUnderLoad(cluster));
  },
};
