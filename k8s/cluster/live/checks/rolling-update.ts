/**
 * A rolling update under load: requests through the api Service's NodePort throughout
 * `kubectl rollout restart deployment/api` until `rollout status` is done and the old pods are
 * gone, and not one may fail (the bar of docker/e2e/rolling-restart.ts). It is the manifests'
 * doing: maxUnavailable 0, a readiness probe the new pod must pass first, and a preStop pause that
 * keeps the old pod serving until kube-proxy has taken it out of the Service.
 */
import type { LiveCheck, LiveCluster } from '../context';
import { SHARED_TARGET, withSharedOverlay } from '../kind-overlay';
import type { PodState } from '../pods';
import { kubectlAsync, listPods, waitUntil } from '../pods';
import { describeLoad, startServiceLoad } from '../service-load';

const TARGET = SHARED_TARGET;
const API_PODS = 'app.kubernetes.io/instance=api';
/** Answers before the restart and after the old pods are gone, so the load spans the whole update. */
const ANSWERS_AROUND = 50;

async function rollingUpdate(cluster: LiveCluster): Promise<void> {
  const before = (await listPods(cluster, TARGET.namespace, API_PODS)) ?? [];
  const load = startServiceLoad(cluster, { namespace: TARGET.namespace, nodePort: TARGET.nodePort, maxSeconds: 420 });
  await waitUntil(() => load.answered() >= ANSWERS_AROUND, 60_000, 200);
  const start = Date.now();
  const restart = await kubectlAsync(cluster, ['-n', TARGET.namespace, 'rollout', 'restart', 'deployment/api']);
  const status = await kubectlAsync(cluster, [
    '-n',
    TARGET.namespace,
    'rollout',
    'status',
    'deployment/api',
    '--timeout=300s',
  ]);
  const rolledSeconds = (Date.now() - start) / 1000;
  // rollout status returns once the new pods are ready; the old ones are still in their preStop pause and drain.
  let after: PodState[] = [];
  const oldGone = await waitUntil(async () => {
    after = (await listPods(cluster, TARGET.namespace, API_PODS)) ?? before;
    return after.every((pod) => !before.some((old) => old.name === pod.name));
  }, 120_000);
  const answeredThen = load.answered();
  await waitUntil(() => load.answered() >= answeredThen + ANSWERS_AROUND, 60_000, 200);
  const result = await load.stop();
  cluster.timing('rollout restart → rollout status done', rolledSeconds);

  const rolled = restart.status === 0 && status.status === 0 && oldGone;
  cluster.record(
    'rolling update: rollout completed',
    rolled,
    `${restart.out}; rollout status ${status.status === 0 ? 'done' : `failed (${status.out.split('\n').pop()})`} in ` +
      `${rolledSeconds.toFixed(1)} s; ` +
      `pods ${before.map((p) => p.name).join(', ')} → ${after.map((p) => p.name).join(', ')}` +
      `${oldGone ? '' : ' (old pods still there after 120 s)'}`,
  );
  const oldAnswered = before.reduce((sum, pod) => sum + (result.byPod[pod.name] ?? 0), 0);
  const newAnswered = after.reduce((sum, pod) => sum + (result.byPod[pod.name] ?? 0), 0);
  cluster.record(
    'rolling update: load spanned it',
    rolled && oldAnswered > 0 && newAnswered > 0,
    `old pods answered ${oldAnswered}, new pods ${newAnswered} (both must be > 0: the traffic moved from one set to ` +
      `the other)`,
  );
  cluster.record('rolling update under load: 0 failed', result.failed === 0 && result.sent > 0, describeLoad(result));
}

export const check: LiveCheck = {
  name: 'rolling-update',
  order: 30,
  async run(cluster) {
    await withSharedOverlay(cluster, TARGET, 'rolling update', () => rollingUpdate(cluster));
  },
};
