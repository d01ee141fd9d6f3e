/**
 * Who owns the replica count, and whether disruption budgets protect anything (issue #13).
 * Also KEDA's admission rule for `fallback`, version by version, read from KEDA's source
 * (apis/keda/v1alpha1/scaledobject_types.go, CheckFallbackValid).
 */
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { Check } from './objects';
import { id, matches, ofKind } from './objects';
import type { K8sObject } from './render';

interface ScaledObjectSpec {
  scaleTargetRef?: { name?: string };
  minReplicaCount?: number;
  fallback?: { failureThreshold: number; replicas: number; behavior?: string };
  triggers?: Array<{ type: string; metricType?: string }>;
}

/** The fewest replicas each Deployment can run: its autoscaler's minimum, else its own count. */
function minimumReplicas(docs: readonly K8sObject[]): Map<string, { min: number; owner?: string }> {
  const result = new Map<string, { min: number; owner?: string }>();
  for (const d of ofKind<IDeployment>(docs, 'Deployment')) result.set(d.metadata.name, { min: d.spec?.replicas ?? 1 });
  for (const hpa of ofKind<IHorizontalPodAutoscaler>(docs, 'HorizontalPodAutoscaler')) {
    const target = hpa.spec?.scaleTargetRef.name ?? '';
    if (result.has(target)) result.set(target, { min: hpa.spec?.minReplicas ?? 1, owner: id(hpa) });
  }
  for (const so of docs.filter((d) => d.kind === 'ScaledObject')) {
    const spec = so.spec as ScaledObjectSpec;
    const target = spec.scaleTargetRef?.name ?? '';
    if (result.has(target)) result.set(target, { min: spec.minReplicaCount ?? 0, owner: id(so) });
  }
  return result;
}

/** Pods a budget lets go at once out of `replicas`, rounding as the disruption controller does. */
function allowedDisruptions(pdb: IPodDisruptionBudget, replicas: number): number {
  const count = (value: string | number, roundUp: boolean): number => {
    if (typeof value === 'number') return value;
    const share = (Number.parseInt(value, 10) / 100) * replicas;
    return roundUp ? Math.ceil(share) : Math.floor(share);
  };
  if (pdb.spec?.maxUnavailable !== undefined) return Math.min(replicas, count(pdb.spec.maxUnavailable, true));
  if (pdb.spec?.minAvailable !== undefined) return Math.max(0, replicas - count(pdb.spec.minAvailable, true));
  return 0;
}

/**
 * An autoscaled Deployment has no replicas field (each apply would reset the autoscaler's
 * choice), and every disruption budget keeps at least one pod while letting one go (a drain
 * neither empties the variant nor hangs).
 */
export const availabilityPolicy: Check = (docs) => {
  const problems: string[] = [];
  const minimums = minimumReplicas(docs);
  for (const d of ofKind<IDeployment>(docs, 'Deployment')) {
    const owner = minimums.get(d.metadata.name)?.owner;
    if (owner && d.spec?.replicas !== undefined)
      problems.push(`${id(d)}: sets replicas ${d.spec.replicas} while ${owner} owns the count`);
  }
  for (const pdb of ofKind<IPodDisruptionBudget>(docs, 'PodDisruptionBudget')) {
    for (const d of ofKind<IDeployment>(docs, 'Deployment').filter((dep) =>
      matches(pdb.spec?.selector?.matchLabels, dep.spec?.template.metadata?.labels),
    )) {
      const replicas = minimums.get(d.metadata.name)!.min;
      const allowed = allowedDisruptions(pdb, replicas);
      if (replicas - allowed < 1)
        problems.push(`${id(pdb)}: lets all ${replicas} pod(s) of ${id(d)} go at once: it protects nothing`);
      if (allowed < 1) problems.push(`${id(pdb)}: lets no pod of ${id(d)} (${replicas}) go: node drains would hang`);
    }
  }
  return problems;
};

/** Why KEDA `major.minor`'s admission webhook would reject this ScaledObject's fallback, if it would. */
export function kedaFallbackProblem(so: K8sObject, [major, minor]: readonly [number, number]): string | undefined {
  const spec = so.spec as ScaledObjectSpec;
  if (!spec.fallback) return undefined;
  const triggers = spec.triggers ?? [];
  const isResource = (t: { type: string }): boolean => t.type === 'cpu' || t.type === 'memory';
  const version = major * 1000 + minor;
  // 2.14 to 2.16: every trigger must be a non-resource AverageValue one.
  if (version >= 2014 && version < 2017) {
    const bad = triggers.find((t) => isResource(t) || t.metricType !== 'AverageValue');
    if (bad)
      return (
        `${id(so)}: KEDA ${major}.${minor} rejects fallback beside the ${bad.type} trigger (` +
        `${bad.metricType ?? 'no metricType'})`
      );
  }
  // 2.17 on: at least one trigger that is neither cpu nor memory (AverageValue, until 2.18).
  if (version >= 2017) {
    const carrier = triggers.find((t) => !isResource(t) && (version >= 2018 || t.metricType === 'AverageValue'));
    if (!carrier)
      return `${id(so)}: KEDA ${major}.${minor} rejects fallback without a non-cpu/memory AverageValue trigger`;
  }
  if (version < 2017 && spec.fallback.behavior !== undefined) return `${id(so)}: fallback.behavior needs KEDA 2.17`;
  return undefined;
}
