/**
 * The base's HorizontalPodAutoscaler on a real API server and controller manager, with
 * metrics-server serving metrics.k8s.io (up.sh starts it). The kind overlay (which deletes the
 * HPA: kind has no metrics-server) runs the Deployment `api`; the HPA as k8s/base renders it is
 * applied beside it. The controller must find the Deployment's scale subresource (AbleToScale
 * True) and read the pods' CPU from metrics-server (ScalingActive True, ValidMetricFound). Then a
 * copy aimed at 5% of the CPU request, at most 4 replicas, must scale the Deployment up while the
 * check sends it 25 requests/s (the base's 70% would need hundreds a second on this machine); the
 * Deployment goes back to its replicas after. The same HPA aimed at a Deployment that does not
 * exist must say AbleToScale False: the first condition is read from the target, not assumed.
 */
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { LiveCheck, LiveCluster } from '../context';
import { SHARED_TARGET, withSharedOverlay } from '../kind-overlay';
import type { RenderedObject } from '../overlay-render';
import { applyObjects, renderOverlay } from '../overlay-render';
import { pollUntil } from '../poll';
import { describeLoad, startServiceLoad } from '../service-load';

/** The shared kind overlay's namespace: its Deployment api is the HPA's target. */
const NAMESPACE = SHARED_TARGET.namespace;
const MISSING = 'api-absent';
/** The scaling copy: a target its modest load crosses, and few enough pods for a 2-core node. */
const SCALING = { name: 'api-scaling', averageUtilization: 5, maxReplicas: 4 };

interface Condition {
  status: string;
  reason: string;
  message: string;
}

/** The HPA `name` as the API server holds it now; undefined when it cannot be read. */
function readHpa(cluster: LiveCluster, name: string): IHorizontalPodAutoscaler | undefined {
  const result = cluster.kubectl(['-n', NAMESPACE, 'get', 'hpa', name, '-o', 'json']);
  return result.status === 0 ? (JSON.parse(result.out) as IHorizontalPodAutoscaler) : undefined;
}

function conditions(cluster: LiveCluster, name: string): Record<string, Condition> {
  return Object.fromEntries(
    (readHpa(cluster, name)?.status?.conditions ?? []).map((c) => [
      c.type,
      { status: c.status, reason: c.reason ?? '', message: c.message ?? '' },
    ]),
  );
}

/** Waits (the controller syncs every 15 s) until the HPA reports each of `types`. */
async function readConditions(
  cluster: LiveCluster,
  name: string,
  types: string[],
): Promise<{ found: Record<string, Condition>; seconds: number }> {
  const polled = await pollUntil(
    () => conditions(cluster, name),
    (c) => types.every((type) => c[type] !== undefined),
    { timeoutSeconds: 120, intervalMs: 2000 },
  );
  return { found: polled.value, seconds: polled.seconds };
}

const show = (condition: Condition | undefined): string =>
  condition ? `${condition.status} (${condition.reason}: ${condition.message})` : 'not reported';

/** The base's HPA, rendered into the check's namespace. */
function baseHpa(cluster: LiveCluster): RenderedObject {
  const hpa = renderOverlay(cluster, { overlay: 'base', namespace: NAMESPACE }).find(
    (o) => o.kind === 'HorizontalPodAutoscaler',
  );
  if (!hpa) throw new Error('k8s/base renders no HorizontalPodAutoscaler');
  return hpa;
}

/** The HPA's status: replicas, and the CPU it last read against its target. */
function cpuNow(cluster: LiveCluster, name: string): string {
  const hpa = readHpa(cluster, name);
  if (!hpa) return `hpa ${name} unreadable`;
  const cpu = hpa.status?.currentMetrics?.[0]?.resource?.current.averageUtilization;
  const target = hpa.spec?.metrics?.[0]?.resource?.target.averageUtilization;
  return (
    `CPU ${cpu ?? '?'}% of the request (target ${target ?? '?'}%), replicas ${hpa.status?.currentReplicas ?? '?'} → ` +
    `${hpa.status?.desiredReplicas ?? '?'}`
  );
}

/** A copy of the base's HPA aimed low, scaling the Deployment up under a modest load; then back. */
async function checkScaling(cluster: LiveCluster, hpa: RenderedObject, before: number): Promise<void> {
  const spec = hpa.spec as { metrics: { resource: { target: object } }[] };
  const scaling = {
    ...hpa,
    metadata: { ...hpa.metadata, name: SCALING.name },
    spec: {
      ...spec,
      maxReplicas: SCALING.maxReplicas,
      metrics: [
        {
          ...spec.metrics[0],
          resource: {
            ...spec.metrics[0]!.resource,
            target: { ...spec.metrics[0]!.resource.target, averageUtilization: SCALING.averageUtilization },
          },
        },
      ],
    },
  };
  applyObjects(cluster, [scaling]);
  const load = startServiceLoad(cluster, { namespace: NAMESPACE, nodePort: SHARED_TARGET.nodePort, maxSeconds: 150 });
  const polled = await pollUntil(
    () => readHpa(cluster, SCALING.name)?.status?.desiredReplicas ?? 0,
    (desired) => desired > before,
    { timeoutSeconds: 120, intervalMs: 2000 },
  );
  const status = cpuNow(cluster, SCALING.name);
  const result = await load.stop();
  cluster.timing('hpa: load → scale-up decided', polled.seconds);
  cluster.record(
    'hpa: scales the Deployment up under load',
    polled.done && result.failed === 0,
    `${before} → ${polled.value} replicas ${polled.seconds.toFixed(0)} s into the load; ${status}; ` +
      `load: ${describeLoad(result)}`,
  );
}

/** Deletes the check's HPAs and gives the Deployment its replicas back, rolled out. */
function restoreReplicas(cluster: LiveCluster, replicas: number): void {
  cluster.kubectl(['-n', NAMESPACE, 'delete', 'hpa', '--all', '--ignore-not-found']);
  cluster.kubectl(['-n', NAMESPACE, 'scale', 'deployment/api', `--replicas=${replicas}`]);
  cluster.kubectl(['-n', NAMESPACE, 'rollout', 'status', 'deployment/api', '--timeout=120s']);
}

async function checkHpa(cluster: LiveCluster): Promise<void> {
  const hpa = baseHpa(cluster);
  const target = (hpa as unknown as IHorizontalPodAutoscaler).spec?.scaleTargetRef;
  if (!target) throw new Error('the base HPA has no scaleTargetRef');
  const applied = cluster.kubectl(['apply', '-f', '-'], JSON.stringify(hpa));
  cluster.record(
    'hpa: accepted',
    applied.status === 0,
    `${applied.out} (${hpa.apiVersion}, target ${target.kind}/${target.name})`,
  );
  const missing = {
    ...hpa,
    metadata: { ...hpa.metadata, name: 'api-missing-target' },
    spec: { ...(hpa.spec as object), scaleTargetRef: { ...target, name: MISSING } },
  };
  applyObjects(cluster, [missing]);
  // Both read at once: the controller reports each within its sync period (15 s).
  // Without a scale to read, the controller stops there: AbleToScale is the one condition it sets.
  const [{ found, seconds }, negative] = await Promise.all([
    readConditions(cluster, hpa.metadata.name, ['AbleToScale', 'ScalingActive']),
    readConditions(cluster, missing.metadata.name, ['AbleToScale']),
  ]);
  cluster.timing('hpa: apply → conditions reported', seconds);
  const replicas = readHpa(cluster, hpa.metadata.name)?.status?.currentReplicas;
  cluster.record(
    'hpa: reads its target',
    // True with whatever reason the controller's last pass gave: with metrics it may already be
    // weighing a recommendation (ScaleDownStabilized, ReadyForNewScale) rather than SucceededGetScale.
    found.AbleToScale?.status === 'True',
    `AbleToScale ${show(found.AbleToScale)}; currentReplicas ${replicas ?? 'unset'}`,
  );
  // Pods that just started have no metrics until metrics-server's next scrape (every 15 s) has
  // seen them: until then the controller reports FailedGetResourceMetric, then ValidMetricFound.
  const active = await pollUntil(
    () => conditions(cluster, hpa.metadata.name),
    (c) => c.ScalingActive?.status === 'True',
    { timeoutSeconds: 90, intervalMs: 2000 },
  );
  cluster.timing('hpa: apply → CPU read', seconds + active.seconds);
  cluster.record(
    "hpa: reads the pods' CPU from metrics-server",
    active.value.ScalingActive?.status === 'True' && active.value.ScalingActive.reason === 'ValidMetricFound',
    `ScalingActive ${show(active.value.ScalingActive)}; ${cpuNow(cluster, hpa.metadata.name)}`,
  );
  cluster.timing('hpa: apply → missing target reported', negative.seconds);
  cluster.record(
    'hpa: a missing target is reported',
    negative.found.AbleToScale?.status === 'False' && negative.found.AbleToScale.reason === 'FailedGetScale',
    `the same HPA aimed at Deployment ${MISSING}: AbleToScale ${show(negative.found.AbleToScale)}`,
  );
  cluster.kubectl(['-n', NAMESPACE, 'delete', 'hpa', hpa.metadata.name, missing.metadata.name]);
  await checkScaling(cluster, hpa, replicas || 2);
}

export const check: LiveCheck = {
  name: 'autoscaler',
  order: 70,
  // Beside the shared overlay's Deployment api; the HPAs go again after, and api gets its replicas
  // back (the checks after this one count on them staying as the overlay sets them).
  run: (cluster) =>
    withSharedOverlay(cluster, SHARED_TARGET, 'hpa', async () => {
      const replicas = Number(
        cluster.kubectl(['-n', NAMESPACE, 'get', 'deployment', 'api', '-o', 'jsonpath={.spec.replicas}']).out,
      );
      try {
        await checkHpa(cluster);
      } finally {
        restoreReplicas(cluster, replicas || 2);
      }
    }),
};
