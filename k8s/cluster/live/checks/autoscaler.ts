/**
 * The base's HorizontalPodAutoscaler on a real API server and controller manager. The kind overlay
 * (which deletes the HPA: kind has no metrics-server) runs the Deployment `api`; the HPA as
 * k8s/base renders it is applied beside it. The controller must find the Deployment's scale
 * subresource (AbleToScale True) and, with no metrics-server in this cluster, say it cannot read
 * the CPU metric (ScalingActive False, FailedGetResourceMetric). The same HPA aimed at a
 * Deployment that does not exist must say AbleToScale False: the first condition is read from the
 * target, not assumed.
 */
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { LiveCheck, LiveCluster } from '../context';
import { SHARED_TARGET, withSharedOverlay } from '../kind-overlay';
import type { RenderedObject } from '../overlay-render';
import { applyObjects, renderOverlay } from '../overlay-render';
import { pollUntil } from '../poll';

/** The shared kind overlay's namespace: its Deployment api is the HPA's target. */
const NAMESPACE = SHARED_TARGET.namespace;
const MISSING = 'api-absent';

interface Condition {
  status: string;
  reason: string;
  message: string;
}

function conditions(cluster: LiveCluster, name: string): Record<string, Condition> {
  const result = cluster.kubectl(['-n', NAMESPACE, 'get', 'hpa', name, '-o', 'json']);
  if (result.status !== 0) return {};
  const hpa = JSON.parse(result.out) as IHorizontalPodAutoscaler;
  return Object.fromEntries(
    (hpa.status?.conditions ?? []).map((c) => [
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
  const replicas = cluster.kubectl([
    '-n',
    NAMESPACE,
    'get',
    'hpa',
    hpa.metadata.name,
    '-o',
    'jsonpath={.status.currentReplicas}',
  ]).out;
  cluster.record(
    'hpa: reads its target',
    found.AbleToScale?.status === 'True' && found.AbleToScale.reason === 'SucceededGetScale',
    `AbleToScale ${show(found.AbleToScale)}; currentReplicas ${replicas || 'unset'}`,
  );
  cluster.record(
    'hpa: no metrics without metrics-server',
    found.ScalingActive?.status === 'False' && found.ScalingActive.reason === 'FailedGetResourceMetric',
    `ScalingActive ${show(found.ScalingActive)}`,
  );
  cluster.timing('hpa: apply → missing target reported', negative.seconds);
  cluster.record(
    'hpa: a missing target is reported',
    negative.found.AbleToScale?.status === 'False' && negative.found.AbleToScale.reason === 'FailedGetScale',
    `the same HPA aimed at Deployment ${MISSING}: AbleToScale ${show(negative.found.AbleToScale)}`,
  );
}

export const check: LiveCheck = {
  name: 'autoscaler',
  order: 70,
  // Beside the shared overlay's Deployment api; the HPAs go again after (the checks after this
  // one count on api's replicas staying as the overlay sets them).
  run: (cluster) =>
    withSharedOverlay(cluster, SHARED_TARGET, 'hpa', async () => {
      try {
        await checkHpa(cluster);
      } finally {
        cluster.kubectl(['-n', NAMESPACE, 'delete', 'hpa', '--all', '--ignore-not-found']);
      }
    }),
};
