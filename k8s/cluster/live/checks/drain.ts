/**
 * `kubectl drain` respects the PodDisruptionBudgets (k8s/base/pdb.yaml: maxUnavailable 1 of each
 * variant's 2 pods). The drain, limited to this namespace's pods (--pod-selector on the label the
 * render adds) with a short --timeout, may evict one pod of each Deployment; the replacement
 * cannot be scheduled on the cordoned node, so the budget refuses every further eviction until the
 * drain gives up. The Ready pods of each variant never drop below the budget's desiredHealthy, and
 * requests through the Service keep succeeding. Then, with api's budget deleted, the same drain
 * takes api's last pod: the budget was what held it. Last of the checks, as it cordons the only
 * node; the node is uncordoned whatever happens.
 */
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { LiveCheck, LiveCluster } from '../context';
import type { OverlayTarget } from '../kind-overlay';
import { API_DEPLOYMENTS, CHECK_LABEL, withSharedOverlay } from '../kind-overlay';
import { kubectlAsync, listPods, serving, sleep, waitUntil } from '../pods';
import { describeLoad, startServiceLoad } from '../service-load';

/**
 * A namespace of its own: deploy-check starts the drain while the traffic checks' shared overlay
 * is still being deleted, and a namespace being deleted cannot take new objects.
 */
const TARGET: OverlayTarget = { namespace: 'mlship-live-drain', nodePort: 30084 };
const INSTANCE = 'app.kubernetes.io/instance';
const DRAIN_TIMEOUT_SECONDS = 15;

/** Each budget's desiredHealthy and disruptionsAllowed once its controller has counted the pods. */
async function budgets(
  cluster: LiveCluster,
): Promise<Record<string, { desiredHealthy: number; allowed: number }> | undefined> {
  let found: IPodDisruptionBudget[] = [];
  const counted = await waitUntil(() => {
    found = (
      JSON.parse(cluster.kubectl(['-n', TARGET.namespace, 'get', 'pdb', '-o', 'json']).out || '{"items":[]}') as {
        items: IPodDisruptionBudget[];
      }
    ).items;
    return (
      found.length === API_DEPLOYMENTS.length &&
      found.every((pdb) => pdb.status?.currentHealthy === 2 && pdb.status.disruptionsAllowed === 1)
    );
  }, 60_000);
  if (!counted) return undefined;
  return Object.fromEntries(
    found.map((pdb) => [
      pdb.metadata?.name ?? '',
      { desiredHealthy: pdb.status?.desiredHealthy ?? 0, allowed: pdb.status?.disruptionsAllowed ?? 0 },
    ]),
  );
}

/**
 * The fewest serving (Ready, not deleting) pods of each API Deployment seen, polled twice a second (Infinity: no poll
 * answered).
 */
function watchServing(cluster: LiveCluster): { stop(): Promise<Record<string, number>> } {
  const fewest: Record<string, number> = Object.fromEntries(API_DEPLOYMENTS.map((name) => [name, Infinity]));
  let stopped = false;
  const polling = (async () => {
    while (!stopped) {
      const pods = await listPods(cluster, TARGET.namespace);
      for (const name of API_DEPLOYMENTS) {
        if (pods)
          fewest[name] = Math.min(fewest[name]!, serving(pods).filter((pod) => pod.labels[INSTANCE] === name).length);
      }
      await sleep(500);
    }
  })();
  return { stop: async () => ((stopped = true), await polling, fewest) };
}

/**
 * kubectl drain of this namespace's pods (and only those matching `extraSelector`); its words and what it evicted and
 * was refused.
 */
async function drain(
  cluster: LiveCluster,
  extraSelector = '',
): Promise<{ status: number; out: string; evicted: string[]; refused: string[]; seconds: number }> {
  const start = Date.now();
  const selector = `${CHECK_LABEL}=${TARGET.namespace}${extraSelector ? `,${extraSelector}` : ''}`;
  const result = await kubectlAsync(cluster, [
    'drain',
    cluster.settings.nodeName,
    `--pod-selector=${selector}`,
    '--ignore-daemonsets',
    '--delete-emptydir-data',
    `--timeout=${DRAIN_TIMEOUT_SECONDS}s`,
  ]);
  const evicted = [...new Set([...result.out.matchAll(/pod\/(\S+) evicted/g)].map(([, name]) => name!))];
  const refused = [
    ...new Set(
      [...result.out.matchAll(/evicting pods\/"([^"]+)".*would violate the pod's disruption budget/g)].map(
        ([, name]) => name!,
      ),
    ),
  ];
  return { ...result, evicted, refused, seconds: (Date.now() - start) / 1000 };
}

async function drainWithBudgets(cluster: LiveCluster, instanceOf: Map<string, string>): Promise<void> {
  const budget = await budgets(cluster);
  if (
    !cluster.record(
      'drain: budgets counted',
      budget !== undefined,
      JSON.stringify(budget ?? 'no PDB status with 2 healthy pods and 1 disruption allowed within 60 s'),
    )
  )
    return;
  const watch = watchServing(cluster);
  const load = startServiceLoad(cluster, {
    namespace: TARGET.namespace,
    nodePort: TARGET.nodePort,
    maxSeconds: DRAIN_TIMEOUT_SECONDS + 60,
  });
  const drained = await drain(cluster);
  const [fewest, result] = await Promise.all([watch.stop(), load.stop()]);
  cluster.timing('drain until it gave up', drained.seconds);
  const per = (names: string[], instance: string): number =>
    names.filter((name) => instanceOf.get(name) === instance).length;
  const held = API_DEPLOYMENTS.every(
    (name) =>
      per(drained.evicted, name) === budget![name]!.allowed &&
      per(drained.refused, name) >= 1 &&
      Number.isFinite(fewest[name]) &&
      fewest[name]! >= budget![name]!.desiredHealthy,
  );
  cluster.record(
    'drain respects the PodDisruptionBudgets',
    drained.status !== 0 && held,
    `exit ${drained.status} after ${drained.seconds.toFixed(1)} s; evicted ${drained.evicted.join(', ') || 'none'}; ` +
      `refused ("would violate the pod's disruption budget") ${drained.refused.join(', ') || 'none'}; ` +
      API_DEPLOYMENTS.map(
        (name) =>
          `${name}: Ready pods never below ${fewest[name]} (budget ${budget![name]!.desiredHealthy}, ` +
          `${budget![name]!.allowed} disruption allowed)`,
      ).join('; '),
  );
  cluster.record(
    'drain: requests through the Service during it, 0 failed',
    result.failed === 0 && result.sent > 0,
    describeLoad(result),
  );
}

/** The budget deleted, the same drain takes api's last pod: without it nothing held the drain back. */
async function drainWithoutBudget(cluster: LiveCluster): Promise<void> {
  cluster.kubectl(['-n', TARGET.namespace, 'delete', 'pdb', 'api', '--wait=true']);
  const watch = watchServing(cluster);
  const drained = await drain(cluster, `${INSTANCE}=api`);
  const remaining = serving((await listPods(cluster, TARGET.namespace, `${INSTANCE}=api`)) ?? []).length;
  const fewest = await watch.stop();
  cluster.record(
    "drain without api's budget empties api",
    drained.status === 0 && drained.evicted.length > 0 && fewest.api === 0 && remaining === 0,
    `PDB api deleted, the same drain for api's pods: exit ${drained.status} after ${drained.seconds.toFixed(1)} s, ` +
      `evicted ${drained.evicted.join(', ') || 'none'}; api's Ready pods fell to ${fewest.api}`,
  );
}

export const check: LiveCheck = {
  name: 'drain',
  order: 90,
  async run(cluster) {
    await withSharedOverlay(cluster, TARGET, 'drain', async () => {
      const pods = (await listPods(cluster, TARGET.namespace)) ?? [];
      const instanceOf = new Map(pods.map((pod) => [pod.name, pod.labels[INSTANCE] ?? '']));
      try {
        await drainWithBudgets(cluster, instanceOf);
        await drainWithoutBudget(cluster);
      } finally {
        const uncordoned = cluster.kubectl(['uncordon', cluster.settings.nodeName]);
        const unschedulable = cluster.kubectl([
          'get',
          'node',
          cluster.settings.nodeName,
          '-o',
          'jsonpath={.spec.unschedulable}',
        ]).out;
        cluster.record(
          'drain: node uncordoned',
          uncordoned.status === 0 && unschedulable !== 'true',
          `${uncordoned.out}; spec.unschedulable=${unschedulable || 'unset'}`,
        );
      }
    });
  },
};
